import { writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { PERMISSIONS } from '../admin/auth.js';
import type { NoiseEntry } from '../shadow/noise.js';
import { type ReportData, renderHtmlReport } from '../shadow/report-html.js';
import { type DiffPage, type DiffQuery, type DiffSummary, RESULT_CLASSES, type ResultClass } from '../shadow/types.js';
import { renderJson, renderText } from './report.js';

/**
 * `gateway diffs`: reads the gateway's admin API (summary, noise, records) and prints a table, JSON, or writes a
 * self-contained HTML file. Exit codes: 0 done; 1 the admin API could not be read (unreachable, token refused, server
 * error, file not written); 2 bad usage (flag values, no token, a filter the gateway rejects).
 */

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081';
export const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RECORDS = 50;
const MAX_RECORDS = 10_000;
const PAGE = 500;

export type CliEnv = Readonly<Record<string, string | undefined>>;
type Write = (s: string) => void;

/** A failure with the exit code it maps to and a message meant for the user. */
export class CliError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.exitCode = exitCode;
    this.name = 'CliError';
  }
}

/** The flags `gateway diffs` reads (as parseArgs gives them). */
export interface DiffsFlags {
  admin?: string | undefined;
  token?: string | undefined;
  slice?: string | undefined;
  result?: string | undefined;
  field?: string | undefined;
  tenant?: string | undefined;
  channel?: string | undefined;
  replay?: string | undefined;
  since?: string | undefined;
  json?: boolean | undefined;
  html?: string | undefined;
  limit?: string | undefined;
  records?: boolean | undefined;
  timeout?: string | undefined;
}

export interface AdminTarget {
  url: URL;
  token: string;
  timeoutMs: number;
}

export type DiffFilters = Omit<DiffQuery, 'cursor' | 'limit'>;

/** Positive integer flag in [min, max], or the default; anything else is a usage error. */
export function intFlag(name: string, raw: string | undefined, dflt: number, min: number, max: number): number {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer ${min}-${max}, got ${JSON.stringify(raw)}`, 2);
  }
  return n;
}

/** Admin URL (flag, GATEWAY_ADMIN_URL, default), token (flag, GATEWAY_ADMIN_TOKEN) and timeout. */
export function adminTarget(flags: Pick<DiffsFlags, 'admin' | 'token' | 'timeout'>, env: CliEnv): AdminTarget {
  const raw = flags.admin ?? env.GATEWAY_ADMIN_URL ?? DEFAULT_ADMIN_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--admin must be a URL like ${DEFAULT_ADMIN_URL}, got ${JSON.stringify(raw)}`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`--admin must be an http(s) URL, got ${JSON.stringify(raw)}`, 2);
  }
  const token = flags.token ?? env.GATEWAY_ADMIN_TOKEN;
  if (!token) {
    throw new CliError(
      `no admin token: pass --token or set GATEWAY_ADMIN_TOKEN (any role may read: ${PERMISSIONS.read.join(', ')})`,
      2,
    );
  }
  return { url, token, timeoutMs: intFlag('timeout', flags.timeout, DEFAULT_TIMEOUT_MS, 1, 600_000) };
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO timestamp or date, or a duration back from now (`90s`, `10m`, `2h`, `7d`). */
export function parseSince(raw: string, now = Date.now()): string {
  const rel = /^(\d+)\s*([smhd])$/.exec(raw.trim());
  if (rel) return new Date(now - Number(rel[1]) * (UNITS[rel[2] as string] as number)).toISOString();
  const ms = /^\d{4}-\d{2}-\d{2}/.test(raw.trim()) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new CliError(
      `--since must be an ISO timestamp (2024-05-01T10:00:00Z) or a duration (10m, 2h, 7d), got ${JSON.stringify(raw)}`,
      2,
    );
  }
  return new Date(ms).toISOString();
}

/** The filters, checked here so a typo is a usage error before any request. */
export function parseFilters(flags: DiffsFlags, now = Date.now()): DiffFilters {
  const q: DiffFilters = {};
  for (const name of ['slice', 'field', 'tenant', 'channel', 'replay'] as const) {
    const v = flags[name];
    if (v === undefined) continue;
    if (!v.trim() || v.length > 200) throw new CliError(`--${name} must be 1-200 characters`, 2);
    q[name] = v.trim();
  }
  if (flags.result !== undefined) {
    if (!RESULT_CLASSES.includes(flags.result as ResultClass)) {
      throw new CliError(
        `--result must be one of ${RESULT_CLASSES.join(', ')}; got ${JSON.stringify(flags.result)}`,
        2,
      );
    }
    q.result = flags.result as ResultClass;
  }
  if (flags.since !== undefined) q.since = parseSince(flags.since, now);
  return q;
}

/** A short code for a failed request: ECONNREFUSED, timeout, ENOTFOUND, … */
export function errorCode(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown; errors?: unknown[] } | null;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timeout';
  const code = typeof err?.code === 'string' ? err.code : undefined;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return 'timeout';
  }
  if (code) return code;
  const inner = Array.isArray(err?.errors) ? err.errors[0] : undefined;
  return inner ? errorCode(inner) : 'error';
}

function queryString(q: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** GET a JSON document from the admin API; every failure becomes a CliError saying what to do. */
export async function adminGet<T>(
  target: AdminTarget,
  path: string,
  query: Record<string, string | number | undefined> = {},
): Promise<T> {
  const url = new URL(`${target.url.pathname.replace(/\/$/, '')}${path}${queryString(query)}`, target.url);
  const where = `the admin API at ${target.url.origin}`;
  const shown = url.pathname;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(target.timeoutMs),
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
    });
  } catch (e) {
    const code = errorCode(e);
    const hint =
      code === 'ECONNREFUSED'
        ? 'connection refused: is the gateway running, and is --admin (or GATEWAY_ADMIN_URL) its admin port (default 8081)?'
        : code === 'timeout'
          ? `no answer within ${target.timeoutMs} ms`
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `host ${target.url.hostname} not found`
            : `${code}: ${(e as Error).message}`;
    throw new CliError(`cannot reach ${where}: ${hint}`, 1);
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (e) {
    throw new CliError(`${where} broke off its answer to ${shown} (${errorCode(e)})`, 1);
  }
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (res.statusCode === 200 && body !== undefined) return body as T;
  const problem = (body ?? {}) as { title?: unknown; detail?: unknown };
  const detail =
    typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : '';
  switch (res.statusCode) {
    case 200:
      throw new CliError(
        `${where} answered ${shown} with something that is not JSON: is --admin the gateway's admin port?`,
        1,
      );
    case 400:
      throw new CliError(`${where} rejected the filters: ${detail || 'bad request'}`, 2);
    case 401:
      throw new CliError(
        `${where} refused the token (401 ${detail || 'missing or invalid token'}): pass --token or set GATEWAY_ADMIN_TOKEN to a token listed in the gateway's admin.tokens (any role may read diffs: ${PERMISSIONS.read.join(', ')})`,
        1,
      );
    case 403:
      throw new CliError(
        `${where} knows the token but its role may not read ${shown} (403${detail ? ` ${detail}` : ''}): use a token with one of the roles ${PERMISSIONS.read.join(', ')}`,
        1,
      );
    case 404:
      throw new CliError(
        `${where} has no ${shown}${detail ? ` (${detail})` : ''}: is --admin the gateway's admin port, and does this gateway version store shadow diffs?`,
        1,
      );
    default:
      throw new CliError(`${where} answered ${shown} with ${res.statusCode}${detail ? `: ${detail}` : ''}`, 1);
  }
}

export interface CollectOptions {
  /** List records too (up to `limit`). */
  records: boolean;
  limit: number;
  now?: () => Date;
}

/** Where a report's data comes from: the admin API, or (replay --direct) a local store. */
export interface ReportSource {
  /** Shown in the report: the admin origin, or `direct`. */
  name: string;
  summary(filters: DiffFilters): Promise<DiffSummary & { backend?: string }>;
  noise(slice: string | undefined): Promise<NoiseEntry[]>;
  list(query: DiffQuery): Promise<DiffPage>;
}

/** The admin API as a report source. */
export function adminSource(target: AdminTarget): ReportSource {
  const q = (f: DiffQuery) => f as Record<string, string | number | undefined>;
  return {
    name: target.url.origin,
    summary: (f) => adminGet(target, '/admin/diffs/summary', q(f)),
    noise: async (slice) => {
      const r = await adminGet<{ items?: NoiseEntry[] }>(target, '/admin/noise', { slice });
      return Array.isArray(r.items) ? r.items : [];
    },
    list: (query) => adminGet(target, '/admin/diffs', q(query)),
  };
}

/** Summary, noise and (optionally) records for the filters: everything a report shows. */
export async function collectReport(
  source: ReportSource,
  filters: DiffFilters,
  opts: CollectOptions,
): Promise<ReportData> {
  const [summary, noise] = await Promise.all([source.summary(filters), source.noise(filters.slice)]);
  let records: ReportData['records'] = null;
  let truncated = false;
  if (opts.records) {
    records = [];
    let cursor: string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const room = opts.limit - records.length;
      const page = await source.list({ ...filters, limit: Math.min(PAGE, room), ...(cursor ? { cursor } : {}) });
      const items = Array.isArray(page.items) ? page.items : [];
      records.push(...items.slice(0, room));
      if (items.length > room) truncated = true;
      if (!page.nextCursor || !items.length || seen.has(page.nextCursor)) break;
      if (records.length >= opts.limit) {
        truncated = true;
        break;
      }
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }
  return {
    generatedAt: (opts.now?.() ?? new Date()).toISOString(),
    source: source.name,
    filters: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)) as Record<string, string>,
    summary: {
      ...summary,
      slices: summary.slices ?? [],
      byTenant: summary.byTenant ?? [],
      byChannel: summary.byChannel ?? [],
    },
    noise,
    records,
    ...(truncated ? { recordsTruncated: true } : {}),
  };
}

export interface EmitOptions {
  json?: boolean | undefined;
  html?: string | undefined;
}

/** Prints the report (table or JSON) and writes the HTML file when asked. */
export async function emitReport(data: ReportData, opts: EmitOptions, out: Write, err: Write): Promise<void> {
  if (opts.html) {
    try {
      await writeFile(opts.html, renderHtmlReport(data));
    } catch (e) {
      throw new CliError(`cannot write ${opts.html}: ${(e as Error).message}`, 1);
    }
    err(`wrote ${opts.html} (${data.records?.length ?? 0} records)`);
  }
  out(opts.json ? renderJson(data) : renderText(data));
}

/** Records are listed for HTML (always) and for --records. */
export function wantsRecords(flags: Pick<DiffsFlags, 'records' | 'html'>): boolean {
  return !!(flags.records || flags.html);
}

/** `gateway diffs`. Returns the exit code. */
export async function runDiffs(
  positionals: readonly string[],
  flags: DiffsFlags,
  env: CliEnv,
  out: Write,
  err: Write,
): Promise<number> {
  try {
    if (positionals.length) {
      throw new CliError(
        `unexpected argument ${JSON.stringify(positionals[0])} (filters are flags: --slice, --result, …)`,
        2,
      );
    }
    const target = adminTarget(flags, env);
    const filters = parseFilters(flags);
    const limit = intFlag('limit', flags.limit, DEFAULT_RECORDS, 1, MAX_RECORDS);
    const data = await collectReport(adminSource(target), filters, { records: wantsRecords(flags), limit });
    await emitReport(data, flags, out, err);
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      err(`diffs: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}
