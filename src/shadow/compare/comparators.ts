import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { ComparatorName, FieldRule } from '../types.js';

/**
 * Typed comparators (DESIGN.md §6). Each takes the two values at one field path and the field's rule, and says
 * whether they are the same for QA purposes. Pure, total (never throw), and at most O(n log n) in the input size.
 * A value a comparator cannot read (a number where a phone string was expected, null on one side) falls back to
 * deep equality, so a comparator can only make two values equal that mean the same, never hide a type change.
 */
export interface ComparatorResult {
  equal: boolean;
  /** `text`: the similarity in [0,1]; `timestamp`: the difference in ms. */
  score?: number;
}

export type Comparator = (legacy: unknown, candidate: unknown, rule: FieldRule) => ComparatorResult;

export const DEFAULT_TOLERANCE_MS = 1000;
export const DEFAULT_TEXT_THRESHOLD = 0.8;
export const DEFAULT_PHONE_REGION = 'DE';
/** Nesting past this is compared by identity only: deep equality must not overflow the stack on hostile input. */
export const MAX_EQUAL_DEPTH = 64;

const EQUAL: ComparatorResult = { equal: true };
const UNEQUAL: ComparatorResult = { equal: false };
const verdict = (equal: boolean): ComparatorResult => (equal ? EQUAL : UNEQUAL);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON deep equality: key order does not matter, array order does. Depth-bounded. */
export function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || typeof a !== 'object' || a === null || b === null) {
    return typeof a === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (depth >= MAX_EQUAL_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  for (const k of keys) if (!Object.hasOwn(bo, k) || !deepEqual(ao[k], bo[k], depth + 1)) return false;
  return true;
}

/**
 * A string that is equal for deep-equal JSON values (object keys sorted), so sets compare by hashing in
 * O(n log n) instead of pairwise. Past MAX_EQUAL_DEPTH it returns null (the caller falls back to "unequal").
 */
export function canonicalKey(v: unknown, depth = 0): string | null {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v !== 'object') return String(v);
  if (depth >= MAX_EQUAL_DEPTH) return null;
  const parts: string[] = [];
  if (Array.isArray(v)) {
    for (const x of v) {
      const k = canonicalKey(x, depth + 1);
      if (k === null) return null;
      parts.push(k);
    }
    return `[${parts.join(',')}]`;
  }
  for (const key of Object.keys(v).sort()) {
    const k = canonicalKey((v as Record<string, unknown>)[key], depth + 1);
    if (k === null) return null;
    parts.push(`${JSON.stringify(key)}:${k}`);
  }
  return `{${parts.join(',')}}`;
}

export const strictEqual: Comparator = (a, b) => verdict(deepEqual(a, b));

export const ignoreAll: Comparator = () => EQUAL;

// --- timestamp -------------------------------------------------------------------------------------------------

/** Epoch numbers below this are seconds (1e11 s is the year 5138; 1e11 ms is 1973, older than any record here). */
const EPOCH_SECONDS_BELOW = 1e11;
const NUMERIC = /^[+-]?\d+(\.\d+)?$/;
/** An ISO date-time without a zone: read as UTC (Date.parse would use the machine's zone). */
const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

export function epochMs(v: unknown): number | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    return Math.abs(v) < EPOCH_SECONDS_BELOW ? v * 1000 : v;
  }
  if (typeof v !== 'string') return null;
  const s = v.trim();
  if (s.length === 0 || s.length > 64) return null;
  if (NUMERIC.test(s)) return epochMs(Number(s));
  const ms = Date.parse(ISO_NO_ZONE.test(s) ? `${s}Z` : s);
  return Number.isNaN(ms) ? null : ms;
}

export const timestampEqual: Comparator = (a, b, rule) => {
  const x = epochMs(a);
  const y = epochMs(b);
  if (x === null || y === null) return verdict(deepEqual(a, b));
  const delta = Math.abs(x - y);
  return { equal: delta <= (rule.toleranceMs ?? DEFAULT_TOLERANCE_MS), score: delta };
};

// --- phone -----------------------------------------------------------------------------------------------------

const E164 = /^\+[1-9]\d{1,14}$/;

/** E.164 form of a phone number, or null when libphonenumber cannot read it. */
export function toE164(v: string, region: string): string | null {
  const s = v.trim();
  if (E164.test(s)) return s;
  if (s.length > 64) return null;
  const country = isSupportedCountry(region) ? (region as CountryCode) : undefined;
  try {
    return parsePhoneNumberFromString(s, country)?.number ?? null;
  } catch {
    return null;
  }
}

const phoneText = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

export const phoneEqual: Comparator = (a, b, rule) => {
  if (a === b) return EQUAL;
  const x = phoneText(a);
  const y = phoneText(b);
  if (x === null || y === null) return verdict(deepEqual(a, b));
  const region = (rule.region ?? DEFAULT_PHONE_REGION).toUpperCase();
  const ex = toE164(x, region);
  const ey = toE164(y, region);
  if (ex !== null && ey !== null) return verdict(ex === ey);
  // Not a number libphonenumber knows (an extension, a short code): the digits decide.
  const dx = x.replace(/\D/g, '');
  const dy = y.replace(/\D/g, '');
  return verdict(dx.length > 0 ? dx === dy : x.trim() === y.trim());
};

// --- money -----------------------------------------------------------------------------------------------------

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,9}))?$/;

/**
 * Canonical text of an exact decimal: `"49.90"`, `49.9`, `"49.900"` and `"4.99e1"` all give `+499e-1`. Numbers are
 * read from their shortest round-trip text (`String(n)`), never by float arithmetic, so `0.1 + 0.2` stays
 * `0.30000000000000004` — a different amount from `"0.3"`, which is the float artefact QA should see.
 */
export function canonicalDecimal(v: unknown): string | null {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null;
    s = String(v);
  } else if (typeof v === 'string') s = v.trim();
  else if (typeof v === 'bigint') s = v.toString();
  else return null;
  if (s.length === 0 || s.length > 400) return null;
  const m = DECIMAL.exec(s);
  if (!m) return null;
  const int = m[2] ?? '';
  const frac = m[3] ?? '';
  if (int.length + frac.length === 0) return null;
  let digits = int + frac;
  let exp = Number(m[4] ?? 0) - frac.length;
  const lead = digits.search(/[1-9]/);
  if (lead === -1) return '0';
  digits = digits.slice(lead);
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  return `${m[1] === '-' ? '-' : '+'}${trimmed}e${exp}`;
}

const currencyOf = (v: unknown): string | null => (typeof v === 'string' ? v.trim().toUpperCase() : null);

export const moneyEqual: Comparator = (a, b) => {
  if (a === b) return EQUAL;
  if (isObject(a) && isObject(b) && 'amount' in a && 'amount' in b) {
    const x = canonicalDecimal(a.amount);
    const y = canonicalDecimal(b.amount);
    const amountEqual = x !== null && y !== null ? x === y : deepEqual(a.amount, b.amount);
    const ca = currencyOf(a.currency);
    const cb = currencyOf(b.currency);
    const currencyEqual = ca !== null && cb !== null ? ca === cb : deepEqual(a.currency, b.currency);
    return verdict(amountEqual && currencyEqual);
  }
  const x = canonicalDecimal(a);
  const y = canonicalDecimal(b);
  return verdict(x !== null && y !== null ? x === y : deepEqual(a, b));
};

// --- enum, set -------------------------------------------------------------------------------------------------

export const enumEqual: Comparator = (a, b) =>
  verdict(
    typeof a === 'string' && typeof b === 'string'
      ? a.trim().toLowerCase() === b.trim().toLowerCase()
      : deepEqual(a, b),
  );

function keySet(arr: unknown[]): Set<string> | null {
  const out = new Set<string>();
  for (const x of arr) {
    const k = canonicalKey(x);
    if (k === null) return null;
    out.add(k);
  }
  return out;
}

/** Arrays as sets: order and duplicates do not matter; elements compare by deep equality (via canonical keys). */
export const setEqual: Comparator = (a, b) => {
  if (!Array.isArray(a) || !Array.isArray(b)) return verdict(deepEqual(a, b));
  const x = keySet(a);
  const y = keySet(b);
  if (x === null || y === null) return verdict(a === b);
  if (x.size !== y.size) return UNEQUAL;
  for (const k of x) if (!y.has(k)) return UNEQUAL;
  return EQUAL;
};

// --- text ------------------------------------------------------------------------------------------------------

/** Case-folded, punctuation dropped, whitespace collapsed: what a reader would still call "the same words". */
export function normaliseText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * Sørensen–Dice coefficient over the multisets of character bigrams of the normalised texts.
 * Why character bigrams rather than word tokens: bot replies are short, so one reworded word moves a token score a
 * lot, while bigrams give partial credit for inflection and typos (`shipped`/`shipping`) and for German compounds
 * (`Lieferadresse`/`Adresse`) without a language-specific tokenizer. One pass per text into a Map keyed by the two
 * UTF-16 units packed into one number, so it is O(n) in time and memory (100 KB replies cost a few ms).
 */
export function textSimilarity(a: string, b: string): number {
  const x = normaliseText(a);
  const y = normaliseText(b);
  if (x === y) return 1;
  if (x.length < 2 || y.length < 2) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i + 1 < x.length; i++) {
    const k = x.charCodeAt(i) * 0x10000 + x.charCodeAt(i + 1);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let shared = 0;
  for (let i = 0; i + 1 < y.length; i++) {
    const k = y.charCodeAt(i) * 0x10000 + y.charCodeAt(i + 1);
    const n = counts.get(k);
    if (n) {
      shared++;
      counts.set(k, n - 1);
    }
  }
  return (2 * shared) / (x.length - 1 + (y.length - 1));
}

export const textSimilar: Comparator = (a, b, rule) => {
  if (typeof a !== 'string' || typeof b !== 'string') return verdict(deepEqual(a, b));
  const score = textSimilarity(a, b);
  return { equal: score >= (rule.threshold ?? DEFAULT_TEXT_THRESHOLD), score };
};

export const COMPARATORS: Readonly<Record<ComparatorName, Comparator>> = {
  strict: strictEqual,
  timestamp: timestampEqual,
  phone: phoneEqual,
  money: moneyEqual,
  enum: enumEqual,
  set: setEqual,
  text: textSimilar,
  ignore: ignoreAll,
};
