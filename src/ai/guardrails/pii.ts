import type { CountryCode } from 'libphonenumber-js/max';
import type { LoggerOptions } from 'pino';
import {
  findAddresses,
  findCards,
  findEmails,
  findIbans,
  findPhones,
  type PiiKind,
  type PiiSpan,
} from './pii-detectors.js';

export type { PiiKind } from './pii-detectors.js';
export { ibanChecksumValid, luhnValid } from './pii-detectors.js';

/**
 * PII redaction before any prompt, with reversible placeholders used only inside a handler.
 *
 * Detected (Presidio's entity names in brackets):
 * - email [EMAIL_ADDRESS]: `local@domain.tld`, Unicode letters allowed. Not: obfuscated "name at domain dot com".
 * - phone [PHONE_NUMBER]: libphonenumber-js (max metadata) for the configured default countries, accepted only when
 *   written with +, 00 or the trunk 0 (or as a full 10-digit NANP number); plus linear fallback patterns for plausible
 *   numbers its metadata rejects (+CC…, 0…, North American), 9–15 digits. Dates, times, order ids (`A-1001`), ticket
 *   numbers (`#48213`), prices and digit groups glued to longer runs are left alone. A text with more than 64
 *   digit runs (a dump, not a chat line) is scanned by the fallback patterns only, to bound the cost.
 * - card [CREDIT_CARD]: 13–19 digits in groups of spaces/dashes, Luhn-valid, issuer prefix 2–6. A 16-digit run that
 *   fails Luhn is not a card. A Luhn-valid order number with such a prefix IS redacted (accepted over-redaction).
 * - iban [IBAN_CODE]: any country, with or without spaces, any case; mod-97 and the registry length per country.
 * - address [LOCATION, narrowed]: street + house number in EN ("221B Baker Street", "12 Main St., Springfield") and
 *   DE ("Hauptstraße 5", "Berliner Straße 12", "Am Markt 3", "Unter den Linden 77"), each extended by a following
 *   postcode/city; a postcode + city after a comma, a line start, "in", "PLZ" or "postcode"; UK postcodes.
 *   **Recall is limited** (9 of 13 address parts in the held-out set of test/fixtures/pii/holdout.jsonl): street
 *   types outside the suffix list ("1 Infinite Loop"), "City, ST 12345" without a street before it, street names
 *   with numbers ("Straße des 17. Juni 135"), addresses typed in lowercase, P.O. boxes, a city alone and non-EN/DE
 *   formats are missed; product names shaped like streets ("3 Oak Park") are over-redacted. Handlers must treat
 *   address redaction as best-effort and never build a prompt from a raw address field.
 *
 * Not detected: names, dates of birth, customer numbers, IP addresses.
 */

export type PiiPlaceholderLabel = 'EMAIL' | 'PHONE' | 'CARD' | 'IBAN' | 'ADDRESS';

const LABELS: Readonly<Record<PiiKind, PiiPlaceholderLabel>> = {
  email: 'EMAIL',
  phone: 'PHONE',
  card: 'CARD',
  iban: 'IBAN',
  address: 'ADDRESS',
};

/** Earlier wins an overlap: checksummed kinds are the most precise, addresses the least. */
const PRIORITY: readonly PiiKind[] = ['email', 'iban', 'card', 'phone', 'address'];

const PLACEHOLDER = /\[(EMAIL|PHONE|CARD|IBAN|ADDRESS)_(\d{1,6})\]/g;

export interface RedactOptions {
  /** Countries whose national formats are recognised, in priority order (default DE, AT, CH, GB, US). */
  phoneCountries?: readonly CountryCode[];
  /** Kinds to redact (default all). */
  kinds?: readonly PiiKind[];
}

export interface PiiFound {
  kind: PiiKind;
  placeholder: string;
}

export interface PiiRedaction {
  /** The text with every detected value replaced by its placeholder. */
  text: string;
  /** Placeholder → the customer's original value (first spelling seen). Never log this. */
  placeholders: Map<string, string>;
  /** One entry per replaced occurrence, in text order. */
  found: PiiFound[];
  /**
   * Puts the original values back in place of the placeholders this redaction made (e.g. in model output, or to
   * build a tool call from the customer's own new address). Bracket tokens the customer typed are left as they are.
   */
  restore(s: string): string;
}

const DEFAULT_COUNTRIES: readonly CountryCode[] = ['DE', 'AT', 'CH', 'GB', 'US'];

/** Digits or an @ are necessary for every kind: the common log string or chat line is skipped cheaply. */
const MAY_CONTAIN_PII = /[\d@]/;

export function redactPii(text: string, opts: RedactOptions = {}): PiiRedaction {
  const placeholders = new Map<string, string>();
  const found: PiiFound[] = [];
  const restore = (s: string): string => s.replace(PLACEHOLDER, (token: string) => placeholders.get(token) ?? token);
  if (!MAY_CONTAIN_PII.test(text)) return { text, placeholders, found, restore };

  const spans = resolveOverlaps(detect(text, opts));
  // Numbers already used by bracket tokens in the customer's text are skipped, so a placeholder we create can never
  // be confused with one the customer typed (and restore() leaves the customer's token untouched).
  const taken = new Set<string>([...text.matchAll(PLACEHOLDER)].map((m) => m[0]));
  const counters = new Map<PiiPlaceholderLabel, number>();
  const byKey = new Map<string, string>();
  let out = '';
  let at = 0;
  for (const s of spans) {
    const label = LABELS[s.kind];
    const dedupeKey = `${s.kind}\u0000${s.key}`;
    let placeholder = byKey.get(dedupeKey);
    if (placeholder === undefined) {
      let n = counters.get(label) ?? 0;
      do placeholder = `[${label}_${++n}]`;
      while (taken.has(placeholder));
      counters.set(label, n);
      byKey.set(dedupeKey, placeholder);
      placeholders.set(placeholder, text.slice(s.start, s.end));
    }
    out += text.slice(at, s.start) + placeholder;
    at = s.end;
    found.push({ kind: s.kind, placeholder });
  }
  out += text.slice(at);
  return { text: out, placeholders, found, restore };
}

export function containsPii(text: string, opts: RedactOptions = {}): boolean {
  return MAY_CONTAIN_PII.test(text) && detect(text, opts).length > 0;
}

function detect(text: string, opts: RedactOptions): PiiSpan[] {
  const kinds = new Set(opts.kinds ?? PRIORITY);
  const spans: PiiSpan[] = [];
  if (kinds.has('email')) spans.push(...findEmails(text));
  if (kinds.has('iban')) spans.push(...findIbans(text));
  if (kinds.has('card')) spans.push(...findCards(text));
  if (kinds.has('phone')) spans.push(...findPhones(text, opts.phoneCountries ?? DEFAULT_COUNTRIES));
  if (kinds.has('address')) spans.push(...findAddresses(text));
  return spans;
}

/**
 * Keeps a non-overlapping set: higher-priority kind first, then the longer span, then the earlier one. A lower-priority
 * span that overlaps a kept one is dropped only if it is contained in it; otherwise the two merge under the kept kind,
 * so a partly overlapping address never leaves its street name behind.
 */
function resolveOverlaps(spans: PiiSpan[]): PiiSpan[] {
  const ranked = [...spans].sort(
    (a, b) =>
      PRIORITY.indexOf(a.kind) - PRIORITY.indexOf(b.kind) || b.end - b.start - (a.end - a.start) || a.start - b.start,
  );
  const kept: PiiSpan[] = [];
  for (const s of ranked) {
    const hit = kept.find((k) => s.start < k.end && k.start < s.end);
    if (!hit) kept.push({ ...s });
    else if (s.start < hit.start || s.end > hit.end) {
      hit.start = Math.min(hit.start, s.start);
      hit.end = Math.max(hit.end, s.end);
      hit.key = `${hit.key}+${s.key}`;
    }
  }
  // A merge can make two kept spans touch or overlap; fold them once more in text order.
  kept.sort((a, b) => a.start - b.start);
  const merged: PiiSpan[] = [];
  for (const s of kept) {
    const prev = merged[merged.length - 1];
    if (prev && s.start < prev.end) {
      prev.end = Math.max(prev.end, s.end);
      prev.key = `${prev.key}+${s.key}`;
    } else merged.push(s);
  }
  return merged;
}

const MAX_DEPTH = 8;

/**
 * Redacts every string inside a log value (plain objects, arrays, Errors), leaving keys and non-strings alone; class
 * instances other than Error (Date, Map, Buffer…) pass through as they are. Placeholders are numbered per string: a
 * log line proves *that* a value was removed, not which.
 */
export function redactForLog(value: unknown): unknown {
  return walk(value, 0, new WeakSet());
}

function walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactPii(value).text;
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1, seen));
  if (value instanceof Error) {
    return { type: value.name, message: redactPii(value.message).text, stack: redactPii(value.stack ?? '').text };
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = walk(v, depth + 1, seen);
  return out;
}

/**
 * pino options that run every log call's arguments (merging object and message) through `redactForLog`, for
 * loggers that may see customer text. pino's path `redact` cannot find PII inside free text; this can.
 */
export const piiRedactingLogOptions: Pick<LoggerOptions, 'hooks'> = {
  hooks: {
    logMethod(args, method) {
      const redacted = args.map((a) => redactForLog(a)) as typeof args;
      method.apply(this, redacted);
    },
  },
};
