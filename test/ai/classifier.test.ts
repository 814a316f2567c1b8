import { describe, expect, it } from 'vitest';
import { loadDefaultClassifier, trainLocalClassifier } from '../../src/ai/classifier/local.js';
import { normalizeText } from '../../src/ai/classifier/normalize.js';
import { fitTemperature, meanNll } from '../../src/ai/classifier/softmax.js';
import { INTENTS } from '../../src/ai/types.js';

describe('normalizeText', () => {
  it.each([
    ['Where is my order A-1001?', 'where is my order <order_id>'],
    ['order ab2043 and 12345678', 'order <order_id> and <order_id>'],
    ['Mail me: jane.doe@example.com', 'mail me <email>'],
    ['see https://shop.example/x?y=1 now', 'see <url> now'],
    ['I need 2 pairs', 'i need <num> pairs'],
    ['Adresse ÄNDERN, Straße', 'adresse andern strasse'],
    ["don't   won’t!!!", 'dont wont'],
    ['<script>', 'script'],
  ])('%j → %j', (input, expected) => {
    expect(normalizeText(input)).toBe(expected);
  });
});

describe('local classifier (trained on data/intents/train.jsonl)', () => {
  const clf = loadDefaultClassifier();

  it('is deterministic: a second training gives identical answers and temperature', () => {
    const again = loadDefaultClassifier({});
    expect(again).not.toBe(clf);
    expect(again.info.temperature).toBe(clf.info.temperature);
    for (const text of ['my parcel is late', 'pasword resett', 'do you ship to spain', 'hello there friend'])
      expect(again.classify(text)).toStrictEqual(clf.classify(text));
  });

  it('holds out a fifth of the training data for calibration and reports its size', () => {
    expect(clf.info.examples).toBeGreaterThan(600);
    expect(clf.info.calibrationExamples / clf.info.examples).toBeCloseTo(0.2, 1);
    expect(clf.info.temperature).toBeGreaterThan(0);
    expect(clf.info.features).toBeGreaterThan(1000);
  });

  it('treats every order id alike: the id is a placeholder, not a feature', () => {
    expect(clf.classify('where is my order B-77777')).toStrictEqual(clf.classify('where is my order A-1001'));
  });

  it('returns a full ranking, most likely first, summing to 1, with margin = top1 − top2', () => {
    const c = clf.classify('the parcel still has not come');
    expect(c.ranking.map((r) => r.intent).sort()).toStrictEqual([...INTENTS].sort());
    for (let i = 1; i < c.ranking.length; i++)
      expect(c.ranking[i - 1]?.confidence).toBeGreaterThanOrEqual(c.ranking[i]?.confidence ?? 0);
    expect(c.ranking.reduce((s, r) => s + r.confidence, 0)).toBeCloseTo(1, 9);
    expect(c.intent).toBe('order_status');
    expect(c.margin).toBeCloseTo((c.ranking[0]?.confidence ?? 0) - (c.ranking[1]?.confidence ?? 0), 12);
  });

  it.each([
    ['were is my pakage??', 'order_status'],
    ['pasword resett not workin', 'password_reset'],
    ['can i send the boots back and get my money', 'refund_eligibility'],
    ['pls fix the street name in my delivery adress', 'address_change'],
    ['do u take paypal', 'faq'],
    ['what is the boiling point of water', 'out_of_scope'],
  ])('reads sloppy text: %j → %s', (text, intent) => {
    expect(clf.classify(text).intent).toBe(intent);
  });

  it.each(['', '   ', '?!?!', '🙂🙂', 'xkqzv wprtlg mnbvq'])('answers out of scope by rule for %j', (text) => {
    const c = clf.classify(text);
    expect(c).toMatchObject({ intent: 'out_of_scope', outOfScope: true, confidence: 1, margin: 1 });
  });
});

describe('low top probability makes the text out of scope', () => {
  const examples = [
    { text: 'where is my parcel', intent: 'order_status' as const },
    { text: 'parcel tracking please', intent: 'order_status' as const },
    { text: 'reset my password', intent: 'password_reset' as const },
    { text: 'password forgotten', intent: 'password_reset' as const },
    { text: 'tell me a joke', intent: 'out_of_scope' as const },
    { text: 'weather today', intent: 'out_of_scope' as const },
  ];

  it('an ambiguous text below minInScopeConfidence is out of scope; above it keeps the intent', () => {
    const strict = trainLocalClassifier(examples, { minInScopeConfidence: 0.9, calibrationEvery: 1000 });
    const lax = trainLocalClassifier(examples, { minInScopeConfidence: 0, calibrationEvery: 1000 });
    const ambiguous = 'parcel password';
    const model = lax.classify(ambiguous);
    expect(model.outOfScope).toBe(false);
    expect(model.confidence).toBeLessThan(0.9);
    const ruled = strict.classify(ambiguous);
    expect(ruled.intent).toBe('out_of_scope');
    expect(ruled.confidence).toBeCloseTo(1 - model.confidence, 9);
    expect(ruled.ranking).toStrictEqual(model.ranking);
  });

  it('refuses to train on nothing', () => {
    expect(() => trainLocalClassifier([])).toThrow(/no examples/);
  });
});

describe('temperature scaling', () => {
  // 100 two-class samples whose true P(class 0) is 0.75, i.e. a calibrated logit gap of ln 3.
  const labels = Array.from({ length: 100 }, (_, i) => (i % 4 === 3 ? 1 : 0));
  const withGap = (gap: number) => labels.map(() => Float64Array.from([gap, 0]));

  it('cools an overconfident model (T > 1) and sharpens an underconfident one (T < 1)', () => {
    expect(fitTemperature(withGap(4 * Math.log(3)), labels)).toBeCloseTo(4, 2);
    expect(fitTemperature(withGap(0.5 * Math.log(3)), labels)).toBeCloseTo(0.5, 2);
  });

  it('never makes held-out NLL worse than no scaling', () => {
    const logits = withGap(3);
    const t = fitTemperature(logits, labels);
    expect(meanNll(logits, labels, t)).toBeLessThan(meanNll(logits, labels, 1));
  });

  it('returns 1 with nothing to fit on', () => {
    expect(fitTemperature([], [])).toBe(1);
  });
});
