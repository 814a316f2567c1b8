import { SingleBar } from 'cli-progress';
import { Agent, request } from 'undici';
import type { ReplayRunStats } from '../shadow/report-html.js';
import { errorCode } from './diffs.js';
import type { ReplayRequest } from './replay-input.js';

/** The sending side of `gateway replay`: token bucket, worker pool, progress, and the HTTP sender. */

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
