import { isDeepStrictEqual } from 'node:util';
import zlib from 'node:zlib';
import type { NewResponse } from '../../routes/types.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { DeadlineError, withDeadline } from '../pipeline/fallback.js';

export type ShadowResult = 'match' | 'value_mismatch' | 'candidate_error' | 'candidate_timeout';
export type SkipReason = 'concurrency' | 'body_too_large' | 'response_too_large' | 'disabled';

export interface LegacyCapture {
  status: number;
  headers: Record<string, string>;
  body: Buffer | 'truncated' | null;
}

/**
 * Shadow runs: legacy has already answered the client; the candidate runs afterwards with a copy of the request,
 * under a concurrency cap and its own deadline, and the two answers are compared. Never awaited by the client.
 * (A first comparison: status + JSON equality. Contract-aware diffs come with the QA workflow.)
 */
export interface ShadowRunner {
  /** Reserve a slot; false when at the cap (the caller counts the skip). */
  admit(slice: string): boolean;
  skip(slice: string, reason: SkipReason): void;
  /** Runs the candidate after legacy answered; releases the slot. */
  run(
    slice: string,
    legacy: LegacyCapture,
    candidate: (signal: AbortSignal) => Promise<NewResponse>,
    /** Slice-specific comparison (e.g. on a contract); default: status + JSON equality. A throw counts as a mismatch. */
    compare?: (legacy: LegacyCapture, candidate: NewResponse) => boolean,
  ): void;
  /** Abandon a reserved slot without running. */
  release(): void;
  inFlight(): number;
  /** Resolves when every running shadow call has finished (shutdown). */
  drain(): Promise<void>;
}

export function createShadowRunner(opts: {
  maxConcurrent: number;
  deadlineMs: number;
  metrics: Metrics;
  logger: Logger;
}): ShadowRunner {
  let inFlight = 0;
  let idle: (() => void) | null = null;
  const done = () => {
    inFlight--;
    if (inFlight === 0 && idle) idle();
  };

  async function execute(
    slice: string,
    legacy: LegacyCapture,
    candidate: (s: AbortSignal) => Promise<NewResponse>,
    same: (l: LegacyCapture, c: NewResponse) => boolean,
  ) {
    if (legacy.body === 'truncated') {
      opts.metrics.shadowSkipped.labels(slice, 'response_too_large').inc();
      return;
    }
    let result: ShadowResult;
    try {
      const cand = await withDeadline(opts.deadlineMs, new AbortController(), candidate);
      let equal = false;
      try {
        equal = same(legacy, cand);
      } catch {
        equal = false;
      }
      result = equal ? 'match' : 'value_mismatch';
    } catch (err) {
      result = err instanceof DeadlineError ? 'candidate_timeout' : 'candidate_error';
      opts.logger.debug({ slice, err }, 'shadow candidate failed');
    }
    opts.metrics.shadowComparisons.labels(slice, result).inc();
  }

  return {
    admit(slice) {
      if (inFlight >= opts.maxConcurrent) {
        opts.metrics.shadowSkipped.labels(slice, opts.maxConcurrent === 0 ? 'disabled' : 'concurrency').inc();
        return false;
      }
      inFlight++;
      return true;
    },
    skip(slice, reason) {
      opts.metrics.shadowSkipped.labels(slice, reason).inc();
    },
    run(slice, legacy, candidate, same = compare) {
      setImmediate(() => {
        execute(slice, legacy, candidate, same).then(done, (err: unknown) => {
          opts.logger.warn({ slice, err }, 'shadow run crashed');
          done();
        });
      });
    },
    release: done,
    inFlight: () => inFlight,
    drain() {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        idle = resolve;
      });
    },
  };
}

function compare(legacy: LegacyCapture, cand: NewResponse): boolean {
  if (legacy.status !== cand.status) return false;
  const a = decodeJson(legacy.body === 'truncated' ? null : legacy.body, legacy.headers['content-encoding']);
  const b = decodeJson(
    typeof cand.body === 'string' ? Buffer.from(cand.body) : cand.body,
    cand.headers['content-encoding'],
  );
  if (a.ok && b.ok) return isDeepStrictEqual(a.value, b.value);
  return a.raw.equals(b.raw);
}

function decodeJson(body: Buffer | null, encoding: string | undefined): { ok: boolean; value?: unknown; raw: Buffer } {
  let raw = body ?? Buffer.alloc(0);
  try {
    if (encoding === 'gzip') raw = zlib.gunzipSync(raw);
    else if (encoding === 'br') raw = zlib.brotliDecompressSync(raw);
    else if (encoding === 'deflate') raw = zlib.inflateSync(raw);
    return { ok: true, value: JSON.parse(raw.toString('utf8')), raw };
  } catch {
    return { ok: false, raw };
  }
}
