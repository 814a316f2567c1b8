import { describe, expect, it } from 'vitest';
import {
  COMPARATORS,
  canonicalDecimal,
  moneyEqual,
  phoneEqual,
  textSimilarity,
  timestampEqual,
} from '../../src/shadow/compare/comparators.js';
import type { FieldRule } from '../../src/shadow/types.js';

const eq = (name: FieldRule['comparator'], a: unknown, b: unknown, rule: Omit<FieldRule, 'comparator'> = {}) =>
  COMPARATORS[name](a, b, { comparator: name, ...rule });

describe('strict', () => {
  it('is deep equality regardless of key order, but array order counts', () => {
    expect(eq('strict', { a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }).equal).toBe(true);
    expect(eq('strict', [1, 2], [2, 1]).equal).toBe(false);
    expect(eq('strict', { a: 1 }, { a: 1, b: undefined }).equal).toBe(false);
    expect(eq('strict', 1, '1').equal).toBe(false);
    expect(eq('strict', null, {}).equal).toBe(false);
  });
});

describe('timestamp', () => {
  const base = Date.parse('2024-01-05T10:00:00Z');

  it('equals across ISO spellings and epoch seconds / milliseconds', () => {
    expect(eq('timestamp', '2024-01-05T10:00:00Z', '2024-01-05T11:00:00+01:00')).toEqual({ equal: true, score: 0 });
    expect(eq('timestamp', '2024-01-05T10:00:00.000Z', base).equal).toBe(true);
    expect(eq('timestamp', '2024-01-05T10:00:00Z', base / 1000).equal).toBe(true);
    // No zone means UTC, whatever the machine's zone.
    expect(eq('timestamp', '2024-01-05T10:00:00', '2024-01-05T10:00:00Z').equal).toBe(true);
  });

  it('is equal up to and including the tolerance (default 1000 ms), not beyond; score is |Δms|', () => {
    expect(timestampEqual(base, base + 1000, { comparator: 'timestamp' })).toEqual({ equal: true, score: 1000 });
    expect(timestampEqual(base, base + 1001, { comparator: 'timestamp' })).toEqual({ equal: false, score: 1001 });
    expect(eq('timestamp', '2024-01-05T10:00:00Z', '2024-01-05T10:00:05Z', { toleranceMs: 5000 }).equal).toBe(true);
    expect(eq('timestamp', '2024-01-05T10:00:00Z', '2024-01-05T10:00:05.001Z', { toleranceMs: 5000 })).toEqual({
      equal: false,
      score: 5001,
    });
  });

  it('falls back to strict equality when a side is not a time (null vs a time is a difference)', () => {
    expect(eq('timestamp', null, null).equal).toBe(true);
    expect(eq('timestamp', null, '2024-01-05T10:00:00Z').equal).toBe(false);
    expect(eq('timestamp', 'soon', 'later').equal).toBe(false);
    expect(eq('timestamp', 'soon', 'soon').equal).toBe(true);
  });
});

describe('phone', () => {
  it('equals national formats and E.164 (default region DE)', () => {
    expect(eq('phone', '0711/555123', '+49711555123').equal).toBe(true);
    expect(eq('phone', '0171 2345678', '+491712345678').equal).toBe(true);
    expect(eq('phone', '0049 171 2345678', '+491712345678').equal).toBe(true);
    expect(eq('phone', '0711/555123', '+49711555124').equal).toBe(false);
  });

  it('reads national numbers with the rule region', () => {
    expect(eq('phone', '(555) 010-1234', '+15550101234', { region: 'US' }).equal).toBe(true);
    // In the default region (DE) the same national text is a different number.
    expect(eq('phone', '(555) 010-1234', '+15550101234').equal).toBe(false);
    expect(eq('phone', '0711/555123', '+49711555123', { region: 'us' }).equal).toBe(false);
  });

  it('falls back to digits-only equality for what libphonenumber cannot read', () => {
    expect(phoneEqual('ext. 12-34', 'ext 1234', { comparator: 'phone' }).equal).toBe(true);
    expect(phoneEqual('ext. 12-34', 'ext 1235', { comparator: 'phone' }).equal).toBe(false);
    expect(phoneEqual(null, '+491712345678', { comparator: 'phone' }).equal).toBe(false);
    expect(phoneEqual('+491712345678', '+491712345678', { comparator: 'phone', region: 'ZZ' }).equal).toBe(true);
  });
});

describe('money', () => {
  it('compares exact decimals: "49.90" == 49.9 == "49.900" == "4.99e1"', () => {
    for (const v of [49.9, '49.900', '4.99e1', ' 49.9 ', '+049.90']) expect(eq('money', '49.90', v).equal).toBe(true);
    expect(eq('money', '49.90', '49.91').equal).toBe(false);
    expect(eq('money', '-0.00', 0).equal).toBe(true);
    expect(eq('money', '-1.00', '1.00').equal).toBe(false);
  });

  it('never goes through floats: 0.1 + 0.2 is not "0.3", and large amounts keep every digit', () => {
    expect(eq('money', 0.1 + 0.2, '0.3').equal).toBe(false);
    expect(eq('money', 0.3, '0.30').equal).toBe(true);
    // As floats both are 9007199254740992: a comparison by Number() would call them equal.
    expect(Number('9007199254740993.00')).toBe(9007199254740992);
    expect(eq('money', '9007199254740993.00', '9007199254740992').equal).toBe(false);
    expect(eq('money', '9007199254740993.00', '9007199254740993').equal).toBe(true);
    expect(canonicalDecimal('1e400')).toBe('+1e400');
  });

  it('compares {amount, currency} with the currency case-insensitively', () => {
    expect(
      moneyEqual({ amount: '49.90', currency: 'EUR' }, { amount: 49.9, currency: 'eur' }, { comparator: 'money' })
        .equal,
    ).toBe(true);
    expect(
      moneyEqual({ amount: '49.90', currency: 'EUR' }, { amount: '49.90', currency: 'CHF' }, { comparator: 'money' })
        .equal,
    ).toBe(false);
    expect(
      moneyEqual({ amount: '49.90', currency: 'EUR' }, { amount: '49.99', currency: 'EUR' }, { comparator: 'money' })
        .equal,
    ).toBe(false);
    expect(moneyEqual({ amount: '49.90', currency: 'EUR' }, '49.90', { comparator: 'money' }).equal).toBe(false);
  });

  it('falls back to strict equality for what is not a decimal', () => {
    expect(eq('money', 'n/a', 'n/a').equal).toBe(true);
    expect(eq('money', 'n/a', '0').equal).toBe(false);
    expect(eq('money', null, '0.00').equal).toBe(false);
  });
});

describe('enum', () => {
  it('is case-insensitive and trimmed', () => {
    expect(eq('enum', 'Open', ' open ').equal).toBe(true);
    expect(eq('enum', 'OPEN', 'pending').equal).toBe(false);
    expect(eq('enum', null, 'open').equal).toBe(false);
    expect(eq('enum', null, null).equal).toBe(true);
  });
});

describe('set', () => {
  it('ignores order and duplicates, compares elements deeply', () => {
    expect(eq('set', ['a', 'b', 'c'], ['c', 'a', 'b', 'a']).equal).toBe(true);
    expect(eq('set', [{ id: 1, v: 'x' }, { id: 2 }], [{ id: 2 }, { v: 'x', id: 1 }]).equal).toBe(true);
    expect(eq('set', ['a', 'b'], ['a', 'b', 'c']).equal).toBe(false);
    expect(eq('set', [{ id: 1 }], [{ id: '1' }]).equal).toBe(false);
    expect(eq('set', [1], ['1']).equal).toBe(false);
    expect(eq('set', [], null).equal).toBe(false);
  });
});

describe('text', () => {
  const legacy = 'Your order A-1001 has been shipped with DHL. The tracking number is 00340434161234567890.';
  const paraphrase = 'Good news: order A-1001 was shipped with DHL, tracking number 00340434161234567890.';
  const unrelated = 'I am sorry, I cannot help with password resets. Please contact our support team by e-mail.';

  it('scores a paraphrase well above an unrelated reply', () => {
    const p = textSimilarity(legacy, paraphrase);
    const u = textSimilarity(legacy, unrelated);
    expect(p).toBeGreaterThan(0.75);
    expect(u).toBeLessThan(0.4);
    expect(eq('text', legacy, paraphrase, { threshold: 0.7 }).equal).toBe(true);
    expect(eq('text', legacy, unrelated, { threshold: 0.7 }).equal).toBe(false);
  });

  it('normalises case, punctuation and whitespace', () => {
    expect(eq('text', 'Hello,   World!', 'hello world')).toEqual({ equal: true, score: 1 });
  });

  it('is equal at the threshold exactly, unequal just above it', () => {
    const score = textSimilarity(legacy, paraphrase);
    expect(eq('text', legacy, paraphrase, { threshold: score })).toEqual({ equal: true, score });
    expect(eq('text', legacy, paraphrase, { threshold: score + 1e-9 }).equal).toBe(false);
    // Default threshold 0.8: these share 18 of their 24 + 21 bigrams (the prefix "the parcel ships to"): 36/45 = 0.8.
    expect(eq('text', 'the parcel ships tomorrow', 'the parcel ships today')).toEqual({ equal: true, score: 0.8 });
    expect(eq('text', 'the parcel ships tomorrow', 'the parcel ships friday').equal).toBe(false);
  });

  it('stays linear on 100 KB texts', () => {
    const words = ['order', 'parcel', 'shipped', 'delivery', 'tracking', 'address', 'refund', 'invoice'];
    const big = (seed: number) =>
      Array.from({ length: 15_000 }, (_, i) => words[(i * seed + (i >> 3)) % words.length]).join(' ');
    const a = big(3);
    const b = big(5);
    expect(a.length).toBeGreaterThan(100_000);
    const t0 = performance.now();
    const s = textSimilarity(a, b);
    // A quadratic algorithm needs ~10^10 steps here; a linear one a few ms. Generous bound for a loaded CI box.
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(s).toBeGreaterThan(0.5);
  });

  it('compares non-text strictly (null on one side differs)', () => {
    expect(eq('text', null, 'hello').equal).toBe(false);
    expect(eq('text', null, null).equal).toBe(true);
  });
});

describe('ignore', () => {
  it('never differs', () => {
    expect(eq('ignore', 1, 'something else').equal).toBe(true);
  });
});
