import { Errors } from '../../errors.js';
import { normalisePath } from '../compare/diff.js';
import {
  type DiffQuery,
  type DiffRecord,
  type DiffStore,
  type DiffSummary,
  RESULT_CLASSES,
  type ResultClass,
  type SliceSummary,
} from '../types.js';

/**
 * What the memory and Redis diff stores share: the filter, cursors, record encoding, and the summary counters. Both
 * stores keep one flat counter map per slice (memory: a Map; Redis: a hash per slice) whose field names are made
 * here, so "what a summary counts" is written once:
 *
 * - `total`, `r:<result>` — records and records per result class;
 * - `f:<path>` — records with a real difference on the normalised path (a record counts once per path, however many
 *   array elements differ); `n:<path>` — the same for noise;
 * - `t:<tenant>` / `tm:<tenant>`, `c:<channel>` / `cm:<channel>` — records and mismatches per tenant and channel
 *   (records without a tenant or channel are not listed there).
 *
 * A mismatch is `value_mismatch`, `schema_error` or `mapping_gap`: the numerator of `mismatchRate`.
 */

/** A diff store that also counts the records it could not keep. The store assigns ids: `record.id` is replaced. */
export interface CountingDiffStore extends DiffStore {
  /** Records `add` rejected (Redis errors); always 0 for memory. */
  dropped(): number;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
export const TOP_FIELDS = 10;
export const TOP_NOISE = 25;
/** A stored record larger than this (JSON characters) loses its bodies, then its diff values. */
export const MAX_RECORD_CHARS = 256 * 1024;

const MISMATCH: ReadonlySet<ResultClass> = new Set(['value_mismatch', 'schema_error', 'mapping_gap']);

export type { normalisePath };

/** What filters and counters need from a record, without its bodies. */
export interface RecordMeta {
  slice: string;
  result: ResultClass;
  tenant: string | null;
  channel: string | null;
  replay: string | null;
  /** `at` in ms (NaN when unparsable: such a record never matches `since`). */
  atMs: number;
  /** Normalised paths of real differences, each once. */
  fields: string[];
  /** Normalised paths of noise differences, each once. */
  noise: string[];
}

const paths = (diffs: unknown): string[] =>
  Array.isArray(diffs)
    ? [...new Set(diffs.map((d: { path?: unknown }) => normalisePath(String(d?.path ?? ''))).filter(Boolean))]
    : [];

export function metaOf(r: DiffRecord): RecordMeta {
  return {
    slice: String(r.slice ?? ''),
    result: RESULT_CLASSES.includes(r.result) ? r.result : 'candidate_error',
    tenant: r.tenant ?? null,
    channel: r.channel ?? null,
    replay: r.replay ?? null,
    atMs: Date.parse(r.at),
    fields: paths(r.fields),
    noise: paths(r.noise),
  };
}

/** A query checked once: filters in the form `matches` uses, the page size and the cursor position. */
export interface Filter {
  slice?: string;
  result?: ResultClass;
  /** Normalised. */
  field?: string;
  tenant?: string;
  channel?: string;
  replay?: string;
  sinceMs?: number;
}

export function compileFilter(q: Omit<DiffQuery, 'cursor' | 'limit'>): Filter {
  const f: Filter = {};
  if (q.slice) f.slice = q.slice;
  if (q.result) f.result = q.result;
  if (q.field) f.field = normalisePath(q.field);
  if (q.tenant) f.tenant = q.tenant;
  if (q.channel) f.channel = q.channel;
  if (q.replay) f.replay = q.replay;
  if (q.since) {
    const ms = Date.parse(q.since);
    if (Number.isNaN(ms)) throw Errors.BAD_REQUEST.create({ detail: `since: not a timestamp: ${q.since}` });
    f.sinceMs = ms;
  }
  return f;
}

export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Prefix match on whole segments: `address` matches `address.city` and `address`, not `addressLine`. */
export function fieldMatches(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  if (path.length === prefix.length || /[.[]$/.test(prefix)) return true;
  const next = path[prefix.length];
  return next === '.' || next === '[';
}

export function matches(m: RecordMeta, f: Filter): boolean {
  if (f.slice !== undefined && m.slice !== f.slice) return false;
  if (f.result !== undefined && m.result !== f.result) return false;
  if (f.tenant !== undefined && m.tenant !== f.tenant) return false;
  if (f.channel !== undefined && m.channel !== f.channel) return false;
  if (f.replay !== undefined && m.replay !== f.replay) return false;
  if (f.sinceMs !== undefined && !(m.atMs >= f.sinceMs)) return false;
  if (f.field !== undefined && !m.fields.some((p) => fieldMatches(p, f.field as string))) return false;
  return true;
}

/** True when the counters can answer the summary: no filter, or only a slice. */
export function countersAnswer(f: Filter): boolean {
  return Object.keys(f).every((k) => k === 'slice');
}

/** Counter fields a record increments by one (see the module comment). */
export function counterFields(m: RecordMeta): string[] {
  const out = ['total', `r:${m.result}`];
  for (const p of m.fields) out.push(`f:${p}`);
  for (const p of m.noise) out.push(`n:${p}`);
  const mismatch = MISMATCH.has(m.result);
  if (m.tenant !== null) out.push(`t:${m.tenant}`, ...(mismatch ? [`tm:${m.tenant}`] : []));
  if (m.channel !== null) out.push(`c:${m.channel}`, ...(mismatch ? [`cm:${m.channel}`] : []));
  return out;
}

/** Adds a record to per-slice counters held in memory (the memory store, and summaries computed by a scan). */
export function count(into: Map<string, Map<string, number>>, m: RecordMeta): void {
  let c = into.get(m.slice);
  if (!c) {
    c = new Map();
    into.set(m.slice, c);
  }
  for (const k of counterFields(m)) c.set(k, (c.get(k) ?? 0) + 1);
}

const top = (entries: Map<string, number>, n: number) =>
  [...entries]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, n)
    .map(([path, count]) => ({ path, count }));

/** Builds the summary from per-slice counters (numbers, or the strings HGETALL returns). */
export function summaryFrom(bySlice: Iterable<[string, Iterable<[string, number | string]>]>): DiffSummary {
  const slices: SliceSummary[] = [];
  const tenants = new Map<string, { total: number; mismatches: number }>();
  const channels = new Map<string, { total: number; mismatches: number }>();
  const bump = (m: typeof tenants, key: string, field: 'total' | 'mismatches', n: number) => {
    const e = m.get(key) ?? { total: 0, mismatches: 0 };
    e[field] += n;
    m.set(key, e);
  };
  let total = 0;
  for (const [slice, counters] of bySlice) {
    const byResult = Object.fromEntries(RESULT_CLASSES.map((r) => [r, 0])) as Record<ResultClass, number>;
    const fields = new Map<string, number>();
    const noise = new Map<string, number>();
    let sliceTotal = 0;
    for (const [k, raw] of counters) {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) continue;
      const colon = k.indexOf(':');
      const kind = colon === -1 ? k : k.slice(0, colon);
      const rest = k.slice(colon + 1);
      if (kind === 'total') sliceTotal = n;
      else if (kind === 'r' && rest in byResult) byResult[rest as ResultClass] = n;
      else if (kind === 'f') fields.set(rest, n);
      else if (kind === 'n') noise.set(rest, n);
      else if (kind === 't') bump(tenants, rest, 'total', n);
      else if (kind === 'tm') bump(tenants, rest, 'mismatches', n);
      else if (kind === 'c') bump(channels, rest, 'total', n);
      else if (kind === 'cm') bump(channels, rest, 'mismatches', n);
    }
    if (sliceTotal === 0) continue;
    total += sliceTotal;
    const compared = sliceTotal - byResult.candidate_error - byResult.candidate_timeout;
    const mismatches = byResult.value_mismatch + byResult.schema_error + byResult.mapping_gap;
    slices.push({
      slice,
      total: sliceTotal,
      byResult,
      mismatchRate: compared > 0 ? mismatches / compared : null,
      topFields: top(fields, TOP_FIELDS),
      noiseFields: top(noise, TOP_NOISE),
    });
  }
  slices.sort((a, b) => (a.slice < b.slice ? -1 : a.slice > b.slice ? 1 : 0));
  const list = (m: typeof tenants, name: 'tenant' | 'channel') =>
    [...m]
      .sort((a, b) => b[1].total - a[1].total || (a[0] < b[0] ? -1 : 1))
      .map(([key, v]) => ({ [name]: key, total: v.total, mismatches: v.mismatches }));
  return {
    total,
    slices,
    byTenant: list(tenants, 'tenant') as DiffSummary['byTenant'],
    byChannel: list(channels, 'channel') as DiffSummary['byChannel'],
  };
}

/** Opaque cursors: the backend letter and its position (memory: a sequence number; Redis: a stream id). */
export function encodeCursor(backend: 'm' | 'r', position: string): string {
  return Buffer.from(`${backend}:${position}`).toString('base64url');
}

export function decodeCursor(backend: 'm' | 'r', cursor: string, valid: RegExp): string {
  const text = Buffer.from(cursor, 'base64url').toString();
  const position = text.startsWith(`${backend}:`) ? text.slice(2) : '';
  if (!valid.test(position)) throw Errors.BAD_REQUEST.create({ detail: 'cursor: not a cursor of this store' });
  return position;
}

/**
 * The stored form of a record: JSON, at most MAX_RECORD_CHARS. A record above it keeps its classification and field
 * paths; bodies and effect payloads go first, then diff values.
 */
export function encodeRecord(r: DiffRecord, max = MAX_RECORD_CHARS): string {
  const json = JSON.stringify(r);
  if (json.length <= max) return json;
  const dropped = { $dropped: 'record too large', chars: json.length };
  const side = (s: DiffRecord['legacy']) => ({
    ...s,
    body: dropped,
    ...(s?.effects ? { effects: s.effects.map((e) => ({ ...e, payload: dropped })) } : {}),
  });
  const lean: DiffRecord = { ...r, legacy: side(r.legacy), candidate: side(r.candidate) };
  const leanJson = JSON.stringify(lean);
  if (leanJson.length <= max) return leanJson;
  const bare = (d: DiffRecord['fields'][number]) => {
    const { legacy: _l, candidate: _c, ...rest } = d;
    return rest;
  };
  return JSON.stringify({
    ...lean,
    fields: lean.fields.slice(0, 200).map(bare),
    noise: lean.noise.slice(0, 200).map(bare),
    schemaIssues: lean.schemaIssues.slice(0, 50),
    gaps: lean.gaps.slice(0, 200),
  });
}

/** Parses a stored record and gives it the store's id; undefined for an entry that is not a record. */
/**
 * A record as the stores keep it: its query fields and its JSON (without the id, which the store assigns). The
 * comparison worker encodes records itself, so that a large one crosses to the main thread as one string.
 */
export interface EncodedRecord {
  meta: RecordMeta;
  json: string;
}

export function encodeForStore(r: DiffRecord | EncodedRecord): EncodedRecord {
  if ('json' in r && 'meta' in r) return r as EncodedRecord;
  const { id: _assignedByTheStore, ...rest } = r as DiffRecord;
  return { meta: metaOf(r as DiffRecord), json: encodeRecord(rest as DiffRecord) };
}

export function decodeRecord(json: string | undefined, id: string): DiffRecord | undefined {
  if (json === undefined) return undefined;
  try {
    const r = JSON.parse(json) as DiffRecord;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return undefined;
    r.id = id;
    return r;
  } catch {
    return undefined;
  }
}
