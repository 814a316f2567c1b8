import { type Carry, MappingError } from './mapping-error.js';

/**
 * Table-driven mapping of flat legacy records (CRM customers, ticketing users): each field converts legacy → contract
 * and back. What makes the rendered wire byte-identical is kept in the carry: legacy's key order, unmodelled keys, and
 * the legacy spelling of every value the contract normalises (`0171 2345678` for `+491712345678`, `"1500"` for
 * 1500.00, a key legacy did not send at all). A spelling is reused only while the contract value still renders to what
 * it rendered when mapped, so a changed value is always rendered canonically.
 */

export interface LegacyOriginal {
  raw: unknown;
  /** Legacy did not send the key. */
  absent: boolean;
  /** JSON of what the contract value rendered to when it was mapped. */
  rendered: string;
}

export interface OriginalsCarry extends Carry {
  /** By legacy path relative to the record (`PHONE_NO`, `ADDRESS.ZIP_CD`). */
  originals: Record<string, LegacyOriginal>;
}

export interface Field<C, X> {
  legacy: string;
  key: string;
  /** Throws MappingError only. */
  from(raw: unknown, path: string, ctx: X): unknown;
  to(value: C, ctx: X): unknown;
}

export function hasOriginals(carry: Carry | undefined): carry is OriginalsCarry {
  return carry !== undefined && typeof (carry as Partial<OriginalsCarry>).originals === 'object';
}

export function requirePresent<T>(v: T | null, path: string): T {
  if (v === null) throw new MappingError(`${path} is missing`, [`${path}: required`]);
  return v;
}

/** Converts every field, collecting MappingError issues so one error lists every broken legacy field. */
export function mapFields<C, X>(
  fields: readonly Field<C, X>[],
  src: Record<string, unknown>,
  path: string,
  ctx: X,
  issues: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    try {
      out[f.key] = f.from(src[f.legacy], `${path}.${f.legacy}`, ctx);
    } catch (e) {
      if (!(e instanceof MappingError)) throw e;
      issues.push(...(e.issues.length > 0 ? e.issues : [e.message]));
    }
  }
  return out;
}

/** Unmodelled keys, for carry-through; each is reported as a gap `<path>.<key>`. */
export function unmodelled(
  src: Record<string, unknown>,
  known: ReadonlySet<string>,
  path: string,
  gaps: string[],
): Record<string, unknown> {
  // fromEntries, not assignment: a legacy key named "__proto__" must stay a plain own property.
  const entries = Object.entries(src).filter(([k]) => !known.has(k));
  for (const [k] of entries) gaps.push(`${path}.${k}`);
  return Object.fromEntries(entries);
}

/** Records, under `prefix + legacy key`, every field whose legacy value differs from the canonical rendering. */
export function noteOriginals<C, X>(
  fields: readonly Field<C, X>[],
  src: Record<string, unknown>,
  value: C,
  ctx: X,
  prefix: string,
  into: Record<string, LegacyOriginal>,
): void {
  for (const f of fields) {
    const rendered = JSON.stringify(f.to(value, ctx));
    const absent = !Object.hasOwn(src, f.legacy);
    if (absent || JSON.stringify(src[f.legacy]) !== rendered) {
      into[prefix + f.legacy] = { raw: src[f.legacy], absent, rendered };
    }
  }
}

/**
 * Renders `fields` (plus `special` keys rendered by their own function) in `order`: carried-through keys in place,
 * modelled keys missing from the order last, in table order. Returns entries for `Object.fromEntries`.
 */
export function renderFields<C, X>(
  fields: readonly Field<C, X>[],
  value: C,
  ctx: X,
  carry: { order: readonly string[]; extra: Record<string, unknown> },
  originals: Record<string, LegacyOriginal>,
  prefix = '',
  special: Readonly<Record<string, () => unknown>> = {},
): [string, unknown][] {
  const entries: [string, unknown][] = [];
  const byKey = new Map(fields.map((f) => [f.legacy, f]));
  const emitKey = (key: string) => {
    const f = byKey.get(key);
    const make = f ? () => f.to(value, ctx) : Object.hasOwn(special, key) ? special[key] : undefined;
    if (make === undefined) {
      if (Object.hasOwn(carry.extra, key)) entries.push([key, carry.extra[key]]);
      return;
    }
    const v = make();
    const o = originals[prefix + key];
    const unchanged = o !== undefined && o.rendered === JSON.stringify(v);
    if (!(unchanged && o.absent)) entries.push([key, unchanged ? o.raw : v]);
  };
  for (const key of carry.order) emitKey(key);
  const seen = new Set(carry.order);
  for (const key of [...byKey.keys(), ...Object.keys(special)]) if (!seen.has(key)) emitKey(key);
  return entries;
}

interface SafeParser<T> {
  safeParse(
    v: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/**
 * Validates the mapped record against its contract. Throws one MappingError listing the conversion issues and every
 * schema issue of a field that converted, named by legacy path (`customer.ADDRESS.COUNTRY_CD: …`).
 */
export function validated<T>(
  schema: SafeParser<T>,
  out: Record<string, unknown>,
  conversionIssues: readonly string[],
  path: string,
  legacyPath: (contractPath: string[]) => string,
  what: string,
): T {
  const parsed = schema.safeParse(out);
  if (parsed.success && conversionIssues.length === 0) return parsed.data;
  const reported = new Set(conversionIssues.map((i) => i.slice(0, i.indexOf(': ') + 1)));
  const schemaIssues = parsed.success
    ? []
    : parsed.error.issues
        .map((i) => `${path}.${legacyPath(i.path.map(String))}: ${i.message}`)
        .filter((i) => !reported.has(i.slice(0, i.indexOf(': ') + 1)));
  throw new MappingError(`${path} does not match ${what}`, [...conversionIssues, ...schemaIssues]);
}
