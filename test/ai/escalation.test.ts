import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION_OPTIONS, detectEscalation } from '../../src/ai/escalation.js';

describe('detectEscalation: messages that must reach a human', () => {
  it.each([
    // asking for a human
    ['agent', 'human_requested'],
    ['Human please!', 'human_requested'],
    ['I want to talk to a real person', 'human_requested'],
    ['Can I speak with your supervisor?', 'human_requested'],
    ['put me through to customer service', 'human_requested'],
    ['Mitarbeiter bitte', 'human_requested'],
    ['ich möchte mit einem Menschen sprechen', 'human_requested'],
    ['No, I want a human', 'human_requested'],
    ["you're not listening, I want a person", 'human_requested'],
    ["I don't want to talk to a bot", 'human_requested'],
    ['can someone call me back this afternoon', 'human_requested'],
    ['please escalate this', 'human_requested'],
    ['I would like to be transferred to an operator', 'human_requested'],
    // legal and threats
    ["I'll sue you for this", 'legal_threat'],
    ['My lawyer will hear about this', 'legal_threat'],
    ["I'm taking you to court", 'legal_threat'],
    ["I'm not a lawyer but this is illegal", 'legal_threat'],
    ['I am going to call the police', 'legal_threat'],
    ['Ich gehe zum Anwalt', 'legal_threat'],
    ['I will kill you', 'legal_threat'],
    // fraud and disputes
    ['There is an unauthorised charge on my statement', 'fraud_dispute'],
    ['I want to file a chargeback', 'fraud_dispute'],
    ['my credit card was stolen', 'fraud_dispute'],
    ['somebody else used my card on your site', 'fraud_dispute'],
    ['this shop is a scam', 'fraud_dispute'],
    ['I did not make this purchase', 'fraud_dispute'],
    ['my account was hacked', 'fraud_dispute'],
    ["I'm disputing the payment with my bank", 'fraud_dispute'],
  ])('%j → %s', (text, signal) => {
    expect(detectEscalation(text)).toBe(signal);
  });
});

describe('detectEscalation: benign messages that must not escalate', () => {
  it.each([
    'where is my order A-1001',
    'human resources told me to contact you about my order',
    'was it human error that my parcel went to the wrong address?',
    'are you a human?',
    "I don't need a human, just tell me where my parcel is",
    'no need for an agent, what are your opening hours',
    'what is the customer service email address',
    'what are your customer service hours',
    'the DHL agent said my parcel is lost',
    "I'm not a lawyer but I think my parcel is late",
    'Sue from your team helped me earlier',
    'Where can I find your size guide?',
    'is it legal to resell a gift card?',
    'I was charged twice for my order',
    'my parcel was stolen from my doorstep',
    'can I pay by credit card?',
    'call me a taxi',
    'kill the process in linux',
  ])('%j → null', (text) => {
    expect(detectEscalation(text)).toBeNull();
  });
});

describe('detectEscalation: repeated failure', () => {
  it('fires after the configured number of failed bot turns, not before', () => {
    expect(detectEscalation('where is my order', { failedTurns: 1 })).toBeNull();
    expect(detectEscalation('where is my order', { failedTurns: 2 })).toBe('repeated_failure');
  });

  it('fires when the customer repeats the same message, ignoring case and punctuation', () => {
    const history = { previousCustomerTexts: ['hi', 'Where is my order?'] };
    expect(detectEscalation('where is my order', history)).toBe('repeated_failure');
    expect(detectEscalation('can I pay by invoice', history)).toBeNull();
  });

  it('counts occurrences against repeatThreshold (current message included)', () => {
    const opts = { ...DEFAULT_ESCALATION_OPTIONS, repeatThreshold: 3 };
    expect(detectEscalation('reset my password', { previousCustomerTexts: ['reset my password'] }, opts)).toBeNull();
    expect(
      detectEscalation(
        'reset my password',
        { previousCustomerTexts: ['reset my password', 'reset my password!'] },
        opts,
      ),
    ).toBe('repeated_failure');
  });

  it('does not count empty or punctuation-only repeats', () => {
    expect(detectEscalation('?', { previousCustomerTexts: ['?', '??'] })).toBeNull();
  });

  it('reports the more specific signal when several apply', () => {
    expect(detectEscalation('I will sue you, get me a human', { failedTurns: 5 })).toBe('legal_threat');
    expect(detectEscalation('fraud! get me an agent')).toBe('fraud_dispute');
    expect(detectEscalation('agent', { failedTurns: 5 })).toBe('human_requested');
  });
});
