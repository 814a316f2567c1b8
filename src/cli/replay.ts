import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { Agent, request } from 'undici';
import { connectionTokens } from '../proxy/headers.js';
import { type CandidateOutcome, compareAnswers, decodeWire } from '../shadow/compare/index.js';
import { createMasker } from '../shadow/mask.js';
import type { RecordedLine } from '../shadow/recorder.js';
import type { ReplayRunStats } from '../shadow/report-html.js';
import { createMemoryDiffStore } from '../shadow/store/memory.js';
import type { DiffRecord } from '../shadow/types.js';
import {
  adminGet,
  adminSource,
  adminTarget,
  type CliEnv,
  CliError,
  collectReport,
  DEFAULT_TIMEOUT_MS,
  emitReport,
  errorCode,
  intFlag,
  type ReportSource,
  wantsRecords,
} from './diffs.js';
import { formatRunLine } from './report.js';

/**
 * `gateway replay <file>`: resends recorded traffic (the recorder's JSONL, or HAR 1.2) to the gateway's public port,
 * tagged `x-gateway-replay: <run id>`, at a bounded rate and concurrency; then waits for the gateway's shadow
 * comparisons of that run and prints the same report as `gateway diffs --replay <run id>`.
 */

export const DEFAULT_TARGET = 'http://127.0.0.1:8080';
const DEFAULT_RATE = 10;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_WAIT_S = 15;
/** The comparisons of a run are taken as complete once their count has not grown for this long. */
const SETTLE_MS = 1_000;
/** …but with nothing counted yet, give the gateway this long after the last request before giving up. */
const FIRST_RECORD_MS = 3_000;
const POLL_MS = 250;

type Write = (s: string) => void;

export interface ReplayFlags {
  admin?: string | undefined;
  token?: string | undefined;
  target?: string | undefined;
  rate?: string | undefined;
  concurrency?: string | undefined;
  limit?: string | undefined;
  json?: boolean | undefined;
  html?: string | undefined;
  records?: boolean | undefined;
  header?: string[] | undefined;
  wait?: string | undefined;
  timeout?: string | undefined;
  direct?: boolean | undefined;
  legacy?: string | undefined;
  candidate?: string | undefined;
}

/** One request to resend. */
export interface ReplayRequest {
  /** 1-based position in the input. */
  n: number;
  method: string;
  /** Path and query; sent to the target's origin. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** The slice the recorder saw (JSONL only). */
  slice: string | null;
}

export interface ReplayInput {
  format: 'jsonl' | 'har';
  requests: ReplayRequest[];
  skipped: Array<{ n: number; reason: string }>;
}

// RFC 9110 hop-by-hop headers, the ones the target sets itself, and the ones replay sets.
const DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'host',
  'content-length',
  'expect',
  'x-gateway-replay',
  'x-request-id',
]);
/** Values the masker leaves in place of secrets: sending them would only fail differently. */
const MASKED = /^\[(stripped|unmaskable|redacted)\]$/;
const METHOD = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/;

/** The headers worth resending: no hop-by-hop, Host, Content-Length, HTTP/2 pseudo-headers or masked secrets. */
export function replayHeaders(pairs: Iterable<[string, string]>): Record<string, string> {
  const list = [...pairs].map(([k, v]) => [k.toLowerCase(), String(v)] as const);
  const conn = connectionTokens(list.find(([k]) => k === 'connection')?.[1]);
  const out: Record<string, string> = {};
  for (const [name, value] of list) {
    if (name.startsWith(':') || DROP.has(name) || conn?.has(name) || MASKED.test(value.trim())) continue;
    const prev = out[name];
    out[name] = prev === undefined ? value : `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** Path and query of a recorded URL (absolute or origin-relative); null when it is neither. */
export function pathOf(url: string): string | null {
  if (url.startsWith('/')) return url.startsWith('//') ? null : url;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? `${u.pathname}${u.search}` : null;
  } catch {
    return null;
  }
}

function isHar(text: string, name: string): boolean {
  if (/\.har$/i.test(name)) return true;
  if (/\.jsonl$/i.test(name)) return false;
  return /^\s*\{\s*"log"\s*:/.test(text);
}

/** Parses recorder JSONL or HAR 1.2. Unusable entries are skipped with a reason; unreadable input is a usage error. */
export function parseReplayInput(text: string, name: string): ReplayInput {
  const requests: ReplayRequest[] = [];
  const skipped: ReplayInput['skipped'] = [];
  const add = (
    n: number,
    method: unknown,
    url: unknown,
    headers: Iterable<[string, string]>,
    body: Buffer | null,
    slice: string | null,
  ): void => {
    const m = typeof method === 'string' ? method.toUpperCase() : '';
    const path = typeof url === 'string' ? pathOf(url) : null;
    if (!METHOD.test(m)) skipped.push({ n, reason: `bad method ${JSON.stringify(method)}` });
    else if (!path) skipped.push({ n, reason: `bad url ${JSON.stringify(url)}` });
    else requests.push({ n, method: m, path, headers: replayHeaders(headers), body, slice });
  };

  if (isHar(text, name)) {
    let doc: { log?: { entries?: unknown } };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      throw new CliError(`${name}: not a HAR file (${(e as Error).message})`, 2);
    }
    if (!Array.isArray(doc?.log?.entries)) throw new CliError(`${name}: not a HAR file (no log.entries)`, 2);
    for (const [i, entry] of (doc.log.entries as unknown[]).entries()) {
      const req = (entry as { request?: Record<string, unknown> } | null)?.request;
      if (!req) {
        skipped.push({ n: i + 1, reason: 'no request' });
        continue;
      }
      const headers = Array.isArray(req.headers)
        ? (req.headers as Array<{ name?: unknown; value?: unknown }>)
            .filter((h) => typeof h?.name === 'string')
            .map((h) => [String(h.name), String(h.value ?? '')] as [string, string])
        : [];
      const post = req.postData as { text?: unknown; encoding?: unknown } | undefined;
      const body =
        typeof post?.text === 'string' && post.text.length
          ? Buffer.from(post.text, post.encoding === 'base64' ? 'base64' : 'utf8')
          : null;
      add(i + 1, req.method, req.url, headers, body, null);
    }
    return { format: 'har', requests, skipped };
  }

  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    if (!raw.trim()) return;
    let line: Partial<RecordedLine>;
    try {
      line = JSON.parse(raw) as Partial<RecordedLine>;
    } catch {
      skipped.push({ n, reason: 'not JSON' });
      return;
    }
    if (line === null || typeof line !== 'object') {
      skipped.push({ n, reason: 'not an object' });
      return;
    }
    if (line.bodyOmitted) {
      skipped.push({ n, reason: `body not recorded (${line.bodyOmitted})` });
      return;
    }
    const body =
      typeof line.bodyBase64 === 'string'
        ? Buffer.from(line.bodyBase64, 'base64')
        : typeof line.body === 'string' && line.body.length
          ? Buffer.from(line.body, 'utf8')
          : null;
    const headers =
      line.headers && typeof line.headers === 'object'
        ? Object.entries(line.headers).map(([k, v]) => [k, String(v)] as [string, string])
        : [];
    add(n, line.method, line.url, headers, body, typeof line.slice === 'string' ? line.slice : null);
  });
  return { format: 'jsonl', requests, skipped };
}

/**
 * Token bucket (`rate` tokens per second, `burst` at most). Tokens may go negative: each caller reserves the next
 * token and waits for it, so concurrent callers are served in order without a lock.
 */
export function createRateLimiter(rate: number, burst = 1, now: () => number = () => performance.now()) {
  let tokens = burst;
  let last = now();
  return {
    /** Milliseconds to wait before the next send (0: go). */
    reserve(): number {
      if (!(rate > 0)) return 0;
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
      last = t;
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens * 1000) / rate;
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface SendOutcome {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer;
  error?: string;
}

export interface ReplayRunOptions {
  requests: readonly ReplayRequest[];
  runId: string;
  /** Sends one request; resolves with the answer or an error code. */
  send(req: ReplayRequest, headers: Record<string, string>): Promise<SendOutcome>;
  rate: number;
  concurrency: number;
  /** Headers added to (and replacing those of) every request. */
  extraHeaders: Record<string, string>;
  progress: ProgressSink;
}

export interface ProgressSink {
  start(total: number): void;
  update(stats: ReplayRunStats): void;
  stop(stats: ReplayRunStats): void;
}

/** Sends every request through a pool of `concurrency` workers behind the token bucket. */
export async function replayRequests(opts: ReplayRunOptions, target: string): Promise<ReplayRunStats> {
  const started = performance.now();
  const stats: ReplayRunStats = {
    runId: opts.runId,
    target,
    requests: opts.requests.length,
    skipped: 0,
    sent: 0,
    answered: 0,
    byStatus: {},
    errors: {},
    durationMs: 0,
    rate: 0,
  };
  const touch = () => {
    stats.durationMs = performance.now() - started;
    stats.rate = stats.durationMs > 0 ? (stats.sent * 1000) / stats.durationMs : 0;
  };
  const limiter = createRateLimiter(opts.rate);
  let next = 0;
  opts.progress.start(opts.requests.length);
  const worker = async () => {
    for (;;) {
      const req = opts.requests[next++];
      if (!req) return;
      const wait = limiter.reserve();
      if (wait > 0) await sleep(wait);
      const headers = {
        ...req.headers,
        ...opts.extraHeaders,
        'x-gateway-replay': opts.runId,
        'x-request-id': `replay-${opts.runId}-${req.n}`,
      };
      stats.sent++;
      const outcome = await opts.send(req, headers);
      if (outcome.status !== undefined) {
        stats.answered++;
        stats.byStatus[outcome.status] = (stats.byStatus[outcome.status] ?? 0) + 1;
      } else {
        const code = outcome.error ?? 'error';
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
      }
      touch();
      opts.progress.update(stats);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, opts.requests.length)) }, worker));
  touch();
  opts.progress.stop(stats);
  return stats;
}

/** A progress bar on a terminal; a plain line every `everyMs` otherwise (logs, CI). */
export function progressSink(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  everyMs = 1_000,
  now: () => number = () => performance.now(),
): ProgressSink {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: 'replay [{bar}] {value}/{total} sent · {answered} answered · {errors} errors · {rate} req/s',
      barsize: 30,
      hideCursor: null,
      fps: 10,
    });
    const payload = (s: ReplayRunStats) => ({
      answered: s.answered,
      errors: s.sent - s.answered,
      rate: s.rate.toFixed(1),
    });
    return {
      start: (total) => bar.start(total, 0, { answered: 0, errors: 0, rate: '0.0' }),
      update: (s) => bar.update(s.sent, payload(s)),
      stop: (s) => {
        bar.update(s.sent, payload(s));
        bar.stop();
      },
    };
  }
  let last = now();
  let total = 0;
  const line = (s: ReplayRunStats) =>
    stream.write(
      `replay ${s.runId}: ${s.sent}/${total} sent, ${s.answered} answered, ${s.sent - s.answered} errors, ${s.rate.toFixed(1)} req/s\n`,
    );
  return {
    start: (t) => {
      total = t;
      last = now();
    },
    update: (s) => {
      if (now() - last < everyMs) return;
      last = now();
      line(s);
    },
    stop: () => undefined,
  };
}

/** Sends to `origin` with undici through one Agent (connection reuse); the answer body is read in full. */
export function httpSender(origin: string, timeoutMs: number, connections: number) {
  const agent = new Agent({ connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  return {
    async send(req: ReplayRequest, headers: Record<string, string>, keepBody = false): Promise<SendOutcome> {
      try {
        const res = await request(new URL(req.path, origin), {
          dispatcher: agent,
          method: req.method,
          headers,
          body: req.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = Buffer.from(await res.body.arrayBuffer());
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        return keepBody ? { status: res.statusCode, headers: flat, body } : { status: res.statusCode };
      } catch (e) {
        return { error: errorCode(e) };
      }
    },
    close: () => agent.close(),
  };
}

function originOf(flag: string, raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
  } catch {
    // reported below
  }
  throw new CliError(`--${flag} must be an http(s) URL, got ${JSON.stringify(raw)}`, 2);
}

function parseRate(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RATE;
  const n = Number(raw.replace(/\s*\/\s*s$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100_000) {
    throw new CliError(
      `--rate must be requests per second (e.g. 20 or 20/s; 0 = unlimited), got ${JSON.stringify(raw)}`,
      2,
    );
  }
  return n;
}

function parseHeaders(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list ?? []) {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim().toLowerCase() : '';
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      throw new CliError(`--header must look like "name: value", got ${JSON.stringify(h)}`, 2);
    }
    out[name] = h.slice(i + 1).trim();
  }
  return out;
}

export const newRunId = () =>
  `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;

/**
 * Polls the summary of `replay=<runId>` until its total has not grown for SETTLE_MS (FIRST_RECORD_MS while it is
 * still 0), or `maxMs` passed. Returns the last total.
 */
export async function waitForComparisons(
  poll: () => Promise<number>,
  maxMs: number,
  now: () => number = () => performance.now(),
): Promise<number> {
  const start = now();
  let total = await poll();
  let changedAt = now();
  while (now() - start < maxMs) {
    if (now() - changedAt >= (total > 0 ? SETTLE_MS : FIRST_RECORD_MS)) break;
    await sleep(Math.min(POLL_MS, Math.max(0, maxMs - (now() - start))));
    const t = await poll();
    if (t !== total) {
      total = t;
      changedAt = now();
    }
  }
  return total;
}

export interface ReplayIo {
  /** Where progress goes (default process.stderr). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  progressEveryMs?: number;
}

/** Path segments that look like ids (`12`, `5f3a…`) become `:id`, so HAR requests group into route-like slices. */
export function routeKey(method: string, path: string): string {
  const pathname = path.split('?')[0] ?? path;
  const segs = pathname.split('/').map((seg) => seg.replace(/^(\d+|[0-9a-f]{8,}|[0-9a-f-]{36})(?=$|\.)/i, ':id'));
  return `${method} ${segs.join('/')}`;
}

/**
 * `--direct`: each request goes to legacy and to the candidate; the answers are compared here with the gateway's
 * comparison engine (no contract: JSON bodies field by field), masked like the gateway masks them (a random key: the
 * hashes compare within this run only), and kept in a local store the report reads like the admin API.
 */
function directComparer(
  runId: string,
  origins: { legacy: string; candidate: string },
  timeoutMs: number,
  connections: number,
) {
  const legacy = httpSender(origins.legacy, timeoutMs, connections);
  const candidate = httpSender(origins.candidate, timeoutMs, connections);
  const store = createMemoryDiffStore({ cap: 1_000_000 });
  const masker = createMasker({ key: randomBytes(32) });
  const source: ReportSource = {
    name: `direct: ${origins.legacy} ⇄ ${origins.candidate}`,
    summary: async (f) => ({ ...(await store.summary(f)), backend: 'local' }),
    noise: async () => [],
    list: (q) => store.list(q),
  };
  return {
    source,
    async send(req: ReplayRequest, headers: Record<string, string>): Promise<SendOutcome> {
      const t0 = performance.now();
      const [l, c] = await Promise.all([
        legacy.send(req, headers, true),
        candidate.send(req, headers, true).then((o) => ({ o, ms: performance.now() - t0 })),
      ]);
      // Without legacy's answer there is nothing to compare with: a failed request of the run.
      if (l.status === undefined) return l;
      const legacyWire = decodeWire(l.status, l.headers ?? {}, l.body ?? Buffer.alloc(0));
      const outcome: CandidateOutcome =
        c.o.status !== undefined
          ? { ok: true, answer: decodeWire(c.o.status, c.o.headers ?? {}, c.o.body ?? Buffer.alloc(0)) }
          : { ok: false, timeout: c.o.error === 'timeout', error: `candidate request failed: ${c.o.error}` };
      const slice = req.slice ?? routeKey(req.method, req.path);
      const comparison = compareAnswers({ slice, comparison: null, legacy: legacyWire, candidate: outcome });
      const record: DiffRecord = {
        ...comparison,
        id: '',
        at: new Date().toISOString(),
        slice,
        route: slice,
        requestId: headers['x-request-id'] ?? '',
        tenant: null,
        channel: null,
        contract: null,
        method: req.method,
        path: req.path,
        legacy: { status: l.status, body: legacyWire.json ?? null },
        candidate: {
          status: outcome.ok ? outcome.answer.status : null,
          body: outcome.ok ? (outcome.answer.json ?? null) : null,
          durationMs: Math.round(c.ms * 10) / 10,
        },
        replay: runId,
      };
      await store.add(masker.maskRecord(record));
      return l;
    },
    close: async () => {
      await Promise.all([legacy.close(), candidate.close()]);
      await store.close();
    },
  };
}

/** `gateway replay`. Returns the exit code. */
export async function runReplay(
  positionals: readonly string[],
  flags: ReplayFlags,
  env: CliEnv,
  out: Write,
  err: Write,
  io: ReplayIo = {},
): Promise<number> {
  try {
    const [file, ...extra] = positionals;
    if (!file || extra.length) throw new CliError('usage: gateway replay <file.jsonl|file.har> [options]', 2);
    let direct: { legacy: string; candidate: string } | null = null;
    if (flags.direct) {
      if (!flags.legacy || !flags.candidate)
        throw new CliError('--direct needs --legacy <url> and --candidate <url>', 2);
      if (flags.target) throw new CliError('--direct sends to --legacy and --candidate; drop --target', 2);
      direct = { legacy: originOf('legacy', flags.legacy), candidate: originOf('candidate', flags.candidate) };
    } else if (flags.legacy || flags.candidate) {
      throw new CliError('--legacy and --candidate go with --direct', 2);
    }
    const target = direct
      ? `${direct.legacy} ⇄ ${direct.candidate}`
      : originOf('target', flags.target ?? DEFAULT_TARGET);
    const rate = parseRate(flags.rate);
    const concurrency = intFlag('concurrency', flags.concurrency, DEFAULT_CONCURRENCY, 1, 1_000);
    const limit = intFlag('limit', flags.limit, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
    const waitS = intFlag('wait', flags.wait, DEFAULT_WAIT_S, 0, 3_600);
    const timeoutMs = intFlag('timeout', flags.timeout, DEFAULT_TIMEOUT_MS, 1, 600_000);
    const extraHeaders = parseHeaders(flags.header);
    // Checked before any request is sent: a missing token should not cost a replay.
    const admin = !direct && waitS > 0 ? adminTarget(flags, env) : null;

    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 2);
    }
    const input = parseReplayInput(text, file);
    for (const s of input.skipped.slice(0, 10)) err(`replay: skipping entry ${s.n}: ${s.reason}`);
    if (input.skipped.length > 10) err(`replay: … ${input.skipped.length - 10} more entries skipped`);
    const requests = input.requests.slice(0, limit);
    if (!requests.length) throw new CliError(`${file}: no requests to replay`, 2);

    const runId = newRunId();
    err(
      `replay ${runId}: ${requests.length} requests from ${file} (${input.format}) to ${target}` +
        `${rate > 0 ? ` at ${rate}/s` : ''}, ${concurrency} at a time`,
    );
    const comparer = direct ? directComparer(runId, direct, timeoutMs, concurrency) : null;
    const sender = comparer ?? httpSender(target, timeoutMs, concurrency);
    let run: ReplayRunStats;
    try {
      run = await replayRequests(
        {
          requests,
          runId,
          send: (req, headers) => sender.send(req, headers),
          rate,
          concurrency,
          extraHeaders,
          progress: progressSink(io.progress ?? process.stderr, io.progressEveryMs),
        },
        target,
      );
      run.skipped = input.skipped.length + Math.max(0, input.requests.length - requests.length);
      err(formatRunLine(run));
      const failed = run.sent - run.answered;
      const filters = { replay: runId };
      const collect = { records: wantsRecords(flags), limit: Math.min(requests.length, 10_000) };

      if (comparer) {
        await emitReport({ ...(await collectReport(comparer.source, filters, collect)), run }, flags, out, err);
        return failed ? 1 : 0;
      }
      if (!admin) {
        if (flags.json) out(JSON.stringify({ run }, null, 2));
        return failed ? 1 : 0;
      }
      err(`replay ${runId}: waiting up to ${waitS} s for the gateway's shadow comparisons…`);
      const compared = await waitForComparisons(
        async () => (await adminGet<{ total: number }>(admin, '/admin/diffs/summary', filters)).total ?? 0,
        waitS * 1000,
      );
      if (!compared) {
        err(
          `replay ${runId}: no shadow comparisons recorded for this run (are the replayed routes' slices in shadow mode, with sampling above 0?)`,
        );
      }
      await emitReport({ ...(await collectReport(adminSource(admin), filters, collect)), run }, flags, out, err);
      return failed ? 1 : 0;
    } finally {
      await sender.close();
    }
  } catch (e) {
    if (e instanceof CliError) {
      err(`replay: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}
