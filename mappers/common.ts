import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { MappingError } from './mapping-error.js';

/**
 * Shared legacy-quirk converters for mappers. Pure; every failure is a MappingError naming the legacy path.
 * Legacy dialects handled: `YYYYMMDD HHmmss` / `YYYYMMDD` dates in the legacy platform's zone, numbers as strings,
 * empty strings meaning "no value", status codes, free-form phone numbers.
 */

/**
 * Sets an own enumerable property even for keys like `__proto__` (plain assignment would change the prototype and
 * silently drop a legacy field).
 */
export function putOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Collects what a mapper could not place, with legacy paths; counted as mapping gaps by the caller. */
export class GapCollector {
  readonly gaps: string[] = [];
  add(path: string): void {
    this.gaps.push(path);
  }
  /** Records every key of `src` not in `known`, returning those entries for carry-through. */
  rest(src: Record<string, unknown>, known: ReadonlySet<string>, path: string): Record<string, unknown> {
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(src)) {
      if (!known.has(k)) {
        putOwn(extra, k, v);
        this.add(`${path}.${k}`);
      }
    }
    return extra;
  }
}

/**
 * Deepest nesting of arrays and objects a legacy value may have. V8's JSON.parse accepts any depth, but JSON.stringify
 * (which renders answers back, compares legacy spellings and quotes values in errors) overflows the stack at a few
 * thousand levels: deeper input is refused with a MappingError instead of failing later with a RangeError. No legacy
 * record comes near it.
 */
export const MAX_NESTING = 512;

/** Whether `v` nests arrays and objects more than `max` levels deep. Iterative: safe on any depth. */
export function nestedTooDeep(v: unknown, max = MAX_NESTING): boolean {
  // Two parallel stacks, no per-node allocation: this runs on every legacy answer a mapper reads.
  const values: object[] = [];
  const depths: number[] = [];
  if (typeof v === 'object' && v !== null) {
    values.push(v);
    depths.push(0);
  }
  while (values.length > 0) {
    const x = values.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth >= max) return true;
    for (const y of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof y === 'object' && y !== null) {
        values.push(y);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** Throws a MappingError when `v` is nested deeper than MAX_NESTING. */
export function checkNesting(v: unknown, path: string): void {
  if (nestedTooDeep(v)) {
    throw new MappingError(`${path} is nested too deeply`, [`${path}: more than ${MAX_NESTING} levels of nesting`]);
  }
}

export function asObject(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MappingError(`${path} is not an object`);
  return v as Record<string, unknown>;
}

/** Legacy empty string / whitespace / null / undefined → null; anything else must be a string. */
export function emptyToNull(v: unknown, path: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new MappingError(`${path} is not a string`, [`${path}: got ${typeof v}`]);
  return v.trim() === '' ? null : v;
}

export function requiredString(v: unknown, path: string): string {
  const s = emptyToNull(v, path);
  if (s === null) throw new MappingError(`${path} is missing`, [`${path}: required`]);
  return s;
}

/** Legacy numbers sent as strings (`"1500.00"`, `"12"`); empty → null. */
export function stringToNumber(v: unknown, path: string, opts: { integer?: boolean } = {}): number | null {
  if (typeof v === 'number') return checkNumber(v, path, opts);
  const s = emptyToNull(v, path);
  if (s === null) return null;
  const t = s.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t))
    throw new MappingError(`${path} is not a number`, [`${path}: ${JSON.stringify(s.slice(0, 40))}`]);
  return checkNumber(Number(t), path, opts);
}

function checkNumber(n: number, path: string, opts: { integer?: boolean }): number {
  if (!Number.isFinite(n) || (opts.integer && !Number.isSafeInteger(n))) {
    throw new MappingError(`${path} is not a valid ${opts.integer ? 'integer' : 'number'}`, [`${path}: ${n}`]);
  }
  return n;
}

/** Decimal money amount as a canonical string (`"1500.00"` stays `"1500.00"`, `"49.9"` → `"49.90"`). */
export function decimalString(v: unknown, path: string, scale = 2): string | null {
  const n = stringToNumber(v, path);
  if (n === null) return null;
  const raw = typeof v === 'string' ? v.trim() : String(v);
  const [int = '0', frac = ''] = raw.replace(/^\+/, '').split('.');
  // Rounded, or a JSON number JavaScript prints in exponent form (5e-7): toFixed writes it out, except from 1e21 up,
  // where it gives the exponent form again.
  if (raw.includes('e') || frac.length > scale) {
    if (Math.abs(n) >= 1e21) throw new MappingError(`${path} is out of range`, [`${path}: ${raw.slice(0, 40)}`]);
    return n.toFixed(scale);
  }
  return scale === 0 ? int : `${int}.${frac.padEnd(scale, '0')}`;
}

const LEGACY_TS = /^(\d{4})(\d{2})(\d{2})(?: (\d{2})(\d{2})(\d{2}))?$/;

/**
 * `YYYYMMDD HHmmss` or `YYYYMMDD` in `timeZone` (an IANA zone, default UTC) → ISO 8601 UTC (`…Z`); empty → null.
 * Invalid calendar dates (20240230) are MappingErrors, not silently rolled over.
 */
export function legacyTimestampToIso(v: unknown, path: string, timeZone = 'UTC'): string | null {
  const s = emptyToNull(v, path);
  if (s === null) return null;
  const m = LEGACY_TS.exec(s.trim());
  if (!m) throw new MappingError(`${path} is not a legacy timestamp`, [`${path}: ${JSON.stringify(s.slice(0, 40))}`]);
  const [y, mo, d, h = '00', mi = '00', se = '00'] = m.slice(1) as string[];
  const parts = [y, mo, d, h, mi, se].map(Number) as [number, number, number, number, number, number];
  const utcGuess = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5]);
  const check = new Date(utcGuess);
  if (
    check.getUTCFullYear() !== parts[0] ||
    check.getUTCMonth() !== parts[1] - 1 ||
    check.getUTCDate() !== parts[2] ||
    parts[3] > 23 ||
    parts[4] > 59 ||
    parts[5] > 59
  ) {
    throw new MappingError(`${path} is not a valid date`, [`${path}: ${s}`]);
  }
  const ms = timeZone === 'UTC' ? utcGuess : wallClockToInstant(utcGuess, timeZone);
  const iso = new Date(ms).toISOString();
  // 99991231 235959 west of Greenwich is in the year 10000, which ISO writes `+010000-…` and no contract accepts.
  if (iso.length !== 24) throw new MappingError(`${path} is out of range`, [`${path}: ${s} in ${timeZone}`]);
  return iso.replace('.000Z', 'Z');
}

/** ISO 8601 UTC → legacy `YYYYMMDD HHmmss` (or `YYYYMMDD` with dateOnly) in `timeZone`. */
export function isoToLegacyTimestamp(iso: string | null, opts: { timeZone?: string; dateOnly?: boolean } = {}): string {
  if (iso === null) return '';
  const ms = Date.parse(iso);
  const tz = opts.timeZone ?? 'UTC';
  const local = new Date(tz === 'UTC' ? ms : ms + zoneOffsetMs(ms, tz));
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${local.getUTCFullYear()}${p(local.getUTCMonth() + 1)}${p(local.getUTCDate())}`;
  return opts.dateOnly
    ? date
    : `${date} ${p(local.getUTCHours())}${p(local.getUTCMinutes())}${p(local.getUTCSeconds())}`;
}

const DAY_MS = 86_400_000;

/**
 * A wall-clock time in `timeZone` (given as if it were UTC) → the instant, the same way east and west of Greenwich.
 * The zone's offsets a day before and a day after are the only ones that can apply (no zone changes its offset twice
 * within two days): each gives a candidate instant, which is real if the zone has that offset at that instant.
 * - one real candidate: it (the usual case, and the only one away from a change);
 * - two (the repeated hour when clocks go back): the later instant, as customer and order mappers document;
 * - none (the hour skipped when clocks go forward): read with the offset before the change, so the time moves forward
 *   by the gap (Berlin 20240331 023000 → 03:30 CEST, New York 20180311 023000 → 03:30 EDT).
 */
function wallClockToInstant(wall: number, timeZone: string): number {
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  const early = wall - before;
  if (before === after) return early;
  const late = wall - after;
  const earlyReal = zoneOffsetMs(early, timeZone) === before;
  const lateReal = zoneOffsetMs(late, timeZone) === after;
  if (earlyReal && lateReal) return Math.max(early, late);
  if (lateReal) return late;
  return early;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at the instant `ms`, in ms (positive east of Greenwich). */
function zoneOffsetMs(ms: number, timeZone: string): number {
  let f = FORMATTERS.get(timeZone);
  if (!f) {
    f = formatterFor(timeZone);
    FORMATTERS.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((x) => x.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

const E164 = /^\+[1-9]\d{1,14}$/;

/**
 * Free-form legacy phone numbers (`0171 2345678`, `+49 171 2345678`, `(555) 010-1234`) → E.164 (`+491712345678`),
 * using the customer's country as the default region. Empty → null. An unparsable number is a MappingError.
 */
export function phoneToE164(v: unknown, path: string, defaultCountry: string | null): string | null {
  const s = emptyToNull(v, path);
  if (s === null) return null;
  const parsed = parsePhoneNumberFromString(s, (defaultCountry ?? undefined) as CountryCode | undefined);
  // isPossible() allows lengths past E.164's 15 digits (`99991231 235959` in DE is +4999991231235959).
  if (!parsed?.isPossible() || !E164.test(parsed.number))
    throw new MappingError(`${path} is not a phone number`, [`${path}: ${JSON.stringify(s.slice(0, 40))}`]);
  return parsed.number;
}

/** A legacy value for an error message: strings quoted and cut, other values by kind (never a huge or deep dump). */
export function quoted(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return typeof v === 'bigint' ? `${v}n` : String(v);
}

/** Legacy status code → enum value via a table; unknown codes are MappingErrors listing the known ones. */
export function codeToEnum<T extends string>(v: unknown, table: Readonly<Record<string, T>>, path: string): T {
  const s = typeof v === 'string' ? v.trim().toUpperCase() : v;
  const hit = typeof s === 'string' ? table[s] : undefined;
  if (hit === undefined) {
    throw new MappingError(`${path} has an unknown code`, [
      `${path}: ${quoted(v)} (known: ${Object.keys(table).join(', ')})`,
    ]);
  }
  return hit;
}

/** Reverse of codeToEnum for rendering back. */
export function enumToCode<T extends string>(value: T, table: Readonly<Record<string, T>>): string {
  for (const [code, v] of Object.entries(table)) if (v === value) return code;
  throw new Error(`no legacy code for ${value}`);
}
