/**
 * The legacy bot: canned replies by keyword, first matching rule wins (so "password reset for my order" is about the
 * password). Matching is on whole lower-cased words and phrases, English and German.
 */

export type BotIntent = 'password' | 'refund' | 'address' | 'order_status' | 'opening_hours' | 'fallback';

export interface BotReply {
  intent: BotIntent;
  text: string;
  actions: string[];
}

interface Rule {
  intent: BotIntent;
  phrases: readonly string[];
  text: string;
  actions: readonly string[];
}

const AGENT = 'Talk to an agent';

const RULES: readonly Rule[] = [
  {
    intent: 'password',
    phrases: ['password', 'passwort', 'kennwort', 'log in', 'login', 'sign in', 'locked out'],
    text:
      'To reset your password, open https://shop.example.com/account/reset and follow the link we email you. ' +
      'The link is valid for 24 hours.',
    actions: ["I didn't get the email", AGENT],
  },
  {
    intent: 'refund',
    phrases: ['refund', 'refunds', 'money back', 'reimburse', 'rückerstattung', 'erstattung', 'geld zurück'],
    text:
      'Refunds are issued within 5-7 business days after your return arrives at our warehouse. ' +
      'You can start a return at https://shop.example.com/returns.',
    actions: ['Start a return', AGENT],
  },
  {
    intent: 'address',
    phrases: ['address', 'adresse', 'anschrift', 'moved', 'umgezogen'],
    text:
      'You can change the delivery address at https://shop.example.com/account/addresses as long as the order ' +
      'has not shipped yet.',
    actions: ['Change address', AGENT],
  },
  {
    intent: 'order_status',
    phrases: [
      'order',
      'orders',
      'track',
      'tracking',
      'parcel',
      'package',
      'shipped',
      'bestellung',
      'lieferung',
      'paket',
    ],
    text:
      'You can check your order status at https://shop.example.com/orders. ' +
      'Please have your order number (e.g. A-1001) ready.',
    actions: ['Track my order', AGENT],
  },
  {
    intent: 'opening_hours',
    phrases: ['opening hours', 'hours', 'open', 'opening', 'faq', 'öffnungszeiten', 'erreichbar'],
    text:
      'Our support team is available Monday to Friday, 8:00-18:00 CET. ' +
      'Many questions are answered in our FAQ at https://shop.example.com/faq.',
    actions: ['Open FAQ', AGENT],
  },
];

export const FALLBACK_TEXT = 'Thanks for your message. An agent will be with you shortly.';

export function botReply(text: string): BotReply {
  const words = ` ${text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '')
    .join(' ')} `;
  for (const rule of RULES) {
    if (rule.phrases.some((p) => words.includes(` ${p} `)))
      return { intent: rule.intent, text: rule.text, actions: [...rule.actions] };
  }
  return { intent: 'fallback', text: FALLBACK_TEXT, actions: [] };
}
