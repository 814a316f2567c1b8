import type { SliceRequest } from '../../routes/types.js';
import { childCache2 } from '../observability/children.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { withDeadline } from '../pipeline/fallback.js';
import { type Candidate, runCandidate } from './candidate.js';
import {
  type Judged,
  judgeRun,
  type LegacyCapture,
  noisePaths,
  type RunMeta,
  type RunOutcome,
  recordOf,
} from './judge.js';
import type { Masker } from './mask.js';
import type { NoiseLearner } from './noise.js';
import type { CompareOffload } from './offload.js';
import type { PrimedKey } from './primed.js';
import type { RouteRef } from './remote-routes.js';
import type { EncodedRecord } from './store/query.js';
import type { DiffRecord, DiffStore, ResultClass, SliceComparison } from './types.js';

export type { LegacyCapture } from './judge.js';

export type SkipReason =
  | 'concurrency'
  | 'body_too_large'
  | 'response_too_large'
  | 'disabled'
  | 'sampled_out'
  /** A write legacy refused (4xx): a dry run cannot know whether legacy would have refused the new path's write too. */
  | 'legacy_refused_write'
  /** The candidate handed the request to legacy (a request its contract does not model): nothing to compare. */
  | 'candidate_deferred'
  /** The runner has used up its CPU budget (`shadow.cpuBudget`): shadow work yields to client traffic. */
  | 'overload'
  /** The slice's shadow runs already started at `shadow.maxRunsPerSecond` (admissions are paced, never bunched). */
  | 'rate';

/** One shadow run: what legacy answered, how to run the candidate, and how to compare. */
export interface ShadowJob extends RunMeta {
  legacy: LegacyCapture;
  /** The client's request as legacy received it (write slices derive legacy's effects from it). */
  request: { method: string; path: string; body: Buffer | null };
  comparison: SliceComparison | null;
  /** Runs the new path (dry-run for writes). `effects`: what it would have written. */
  candidate: Candidate;
  /** Idempotent reads: asks legacy again for the same request (noise learning). */
  legacyAgain?: ((signal: AbortSignal) => Promise<LegacyCapture>) | undefined;
  /**
   * What the comparison worker needs to run the candidate itself (route slices whose table it can load): then the
   * candidate's legacy read, mapping and rendering cost the thread serving clients nothing. `candidate` above is the
   * fallback (no worker, or it failed).
   */
  remote?: RemoteCandidate | undefined;
}

export interface RemoteCandidate {
  route: RouteRef | undefined;
  request: SliceRequest;
  forwardHeaders: Record<string, string>;
  /** The candidate's read of the client's own request gets legacy's answer to it (src/shadow/primed.ts). */
  primed?: PrimedKey | null;
  /** Counts the legacy fields the candidate's mapper carried without placing them (mapping gaps). */
  recordGaps(count: number): void;
}

/**
 * Shadow runs: legacy has already answered the client; the candidate runs afterwards with a copy of the request,
 * under a concurrency cap, sampling and its own deadline. Both answers are mapped onto the slice's contract and
 * diffed per field (src/shadow/compare); the masked record goes to the diff store. Never awaited by the client.
 */
export interface ShadowRunner {
  /**
   * Reserve a slot; false when sampled out or at a cap (counted by reason). `paced: false` skips the per-slice pace
   * (`gateway replay` traffic: its own rate limit applies, and QA expects every replayed request compared).
   */
  admit(slice: string, paced?: boolean): boolean;
  skip(slice: string, reason: SkipReason): void;
  /** Runs the candidate after legacy answered; releases the slot. */
  run(job: ShadowJob): void;
  /** Abandon a reserved slot without running. */
  release(): void;
  inFlight(): number;
  /** Resolves when every running shadow call has finished (shutdown). */
  drain(): Promise<void>;
  /** Starts the comparison worker, if there is one, ahead of the first run (gateway start-up). */
  warm(): void;
  /** Drains, then stops the comparison worker. */
  close(): Promise<void>;
}

export interface ShadowRunnerOptions {
  maxConcurrent: number;
  deadlineMs: number;
  sampleRate: number;
  metrics: Metrics;
  logger: Logger;
  store: DiffStore;
  masker: Masker;
  noise: NoiseLearner;
  /**
   * The comparison worker (src/shadow/offload.ts): when set, runs whose comparison it can rebuild are judged there,
   * off the thread that serves clients; the CPU budget and turns then only apply to what is judged here.
   */
  offload?: CompareOffload | null;
  secondary: { enabled: boolean; warmup: number; sampleRate: number };
  keepMatchBodies: boolean;
  /**
   * Share of the event loop's time (0..1) the runner's own synchronous work (decoding, comparing, noise learning,
   * masking, storing) may take on average; admissions beyond it are skipped as `overload`. 1: no budget.
   */
  cpuBudget: number;
  /**
   * Shadow runs a slice may start per second (0: no limit). Admissions are paced, one every 1/rate s at most, so runs
   * that free their slots together do not start (and finish) together again.
   */
  maxRunsPerSecond?: number;
  /** Event-loop utilisation (0..1) above which new runs are skipped as `overload`. 1 (or absent): never. */
  maxLoopUtilization?: number;
  /** Event-loop utilisation since the previous call (tests); default: performance.eventLoopUtilization. */
  loopUtilization?: () => number;
  /** Every comparison's result (rolling counters for the pin-back rule and charts). */
  onResult?: (slice: string, result: ResultClass) => void;
  random?: () => number;
  /** Clock of the CPU budget, in ms (tests). */
  now?: () => number;
  /** Wall time a turn of shadow steps may take before the rest wait for the next loop iteration (default 2 ms). */
  turnSliceMs?: number;
}

export function createShadowRunner(opts: ShadowRunnerOptions): ShadowRunner {
  const random = opts.random ?? Math.random;
  const now = opts.now ?? (() => performance.now());
  const { metrics, logger } = opts;
  const budget = createBudget(opts.cpuBudget, now);
  const loop = createLoopGauge(opts.maxLoopUtilization ?? 1, opts.loopUtilization ?? eventLoopUtilization(), now);
  const turns = createTurns(opts.turnSliceMs ?? 2);
  const pace = createPace(opts.maxRunsPerSecond ?? 0, now);
  const turn = turns.turn;
  const offload = opts.offload ?? null;
  let inFlight = 0;
  let idle: (() => void) | null = null;
  // The skip counter is hit by nearly every shadowed request under load: its local-count children (tally.ts) are
  // cached per slice and reason.
  const skipCounter = childCache2((slice, reason) => metrics.shadowSkipped.tally(slice, reason));
  const countSkip = (slice: string, reason: SkipReason): void => skipCounter(slice, reason).inc();
  const done = () => {
    inFlight--;
    if (inFlight === 0 && idle) idle();
  };

  /** Second legacy answer to the same read: every field that differs between the two is a noise sample. */
  async function learnNoise(job: ShadowJob): Promise<void> {
    if (!job.legacyAgain || !opts.secondary.enabled) return;
    const n = opts.noise.samples(job.slice);
    if (n >= opts.secondary.warmup && random() >= opts.secondary.sampleRate) return;
    let again: LegacyCapture;
    try {
      again = await withDeadline(opts.deadlineMs, new AbortController(), (s) => job.legacyAgain?.(s) as never);
    } catch (err) {
      logger.debug({ slice: job.slice, err }, 'secondary legacy call failed');
      return;
    }
    if (again.body === 'truncated') return;
    const { slice, comparison } = job;
    let paths: string[] | null = null;
    if (offload?.accepts(comparison)) {
      paths = await offload.noisePaths({ comparison, slice, first: job.legacy, again }).catch((err: unknown) => {
        logger.debug({ slice, err }, 'comparison worker failed: noise sample taken on the main thread');
        return null;
      });
    }
    if (paths === null) {
      await turn();
      try {
        paths = budget.measure(() => noisePaths(slice, comparison, job.legacy, again));
      } finally {
        turns.done();
      }
    }
    opts.noise.observe(slice, paths);
  }

  /**
   * Judging on the main thread (no worker, or one that cannot rebuild this comparison): the two heavy synchronous
   * steps, decode + compare and mask, are timed against the CPU budget and each waits for its turn (one per loop
   * iteration across all runs, client I/O in between).
   */
  async function judgeHere(job: ShadowJob, meta: RunMeta, outcome: RunOutcome, durationMs: number) {
    await turn();
    let judged: Judged;
    try {
      judged = budget.measure(() =>
        judgeRun({
          slice: job.slice,
          comparison: job.comparison,
          legacy: job.legacy,
          request: job.request,
          outcome,
          noise: opts.noise,
        }),
      );
    } finally {
      turns.done();
    }
    const record = recordOf(meta, job.comparison?.contract ?? null, judged, {
      keepMatchBodies: opts.keepMatchBodies,
      durationMs,
    });
    await turn();
    try {
      return { result: judged.comparison.result, record: budget.measure(() => opts.masker.maskRecord(record)) };
    } finally {
      turns.done();
    }
  }

  type Verdict = { result: ResultClass; record: DiffRecord | EncodedRecord };

  /**
   * The candidate runs in the comparison worker, which judges it there too. Null when it cannot (no worker, a route
   * it cannot load) or failed (a crash): the run then happens here. Skips (deferred, starved) are counted here.
   */
  async function runInWorker(job: ShadowJob): Promise<Verdict | 'skipped' | null> {
    const remote = job.remote;
    if (!remote || !offload?.acceptsRun(remote.route, job.comparison)) return null;
    const { slice, route, requestId, method, path, tenant, channel, replay } = job;
    const r = await offload
      .run({
        comparison: job.comparison,
        route: remote.route,
        request: remote.request,
        forwardHeaders: remote.forwardHeaders,
        primed: remote.primed ?? null,
        deadlineMs: opts.deadlineMs,
        meta: { slice, route, requestId, method, path, tenant, channel, replay },
        legacy: job.legacy,
      })
      .catch((err: unknown) => {
        logger.debug({ slice, err }, 'comparison worker failed: the candidate runs on the main thread');
        return null;
      });
    if (r === null) return null;
    if (r.gaps > 0) remote.recordGaps(r.gaps);
    if ('skipped' in r) {
      countSkip(slice, r.skipped);
      return 'skipped';
    }
    return r;
  }

  /** The candidate runs on this thread; judged in the worker when it can, here otherwise. Null: deferred (skipped). */
  async function runHere(job: ShadowJob): Promise<Verdict | null> {
    const { slice } = job;
    // Legacy's answer stays raw bytes while the candidate runs (up to the shadow deadline): one buffer held instead
    // of a decoded JSON tree that every scavenge meanwhile would copy, and that a run skipped above never needs.
    const end = await runCandidate(opts.deadlineMs, job.candidate);
    if (end.deferred) {
      countSkip(slice, 'candidate_deferred');
      return null;
    }
    const { outcome, durationMs } = end;
    if (end.err !== undefined) logger.debug({ slice, err: end.err }, 'shadow candidate failed');
    const { route, requestId, method, path, tenant, channel, replay } = job;
    const meta: RunMeta = { slice, route, requestId, method, path, tenant, channel, replay };
    let judged: Verdict | null = null;
    if (offload?.accepts(job.comparison)) {
      const run = { comparison: job.comparison, meta, legacy: job.legacy, request: job.request, outcome, durationMs };
      judged = await offload.judge(run).catch((err: unknown) => {
        logger.debug({ slice, err }, 'comparison worker failed: run judged on the main thread');
        return null;
      });
    }
    return judged ?? (await judgeHere(job, meta, outcome, durationMs));
  }

  async function execute(job: ShadowJob): Promise<void> {
    const { slice } = job;
    if (job.legacy.body === 'truncated') {
      countSkip(slice, 'response_too_large');
      return;
    }
    if (job.comparison?.legacyEffects && job.legacy.status >= 400 && job.legacy.status < 500) {
      countSkip(slice, 'legacy_refused_write');
      return;
    }
    await learnNoise(job);
    const judged = (await runInWorker(job)) ?? (await runHere(job));
    if (judged === null || judged === 'skipped') return;
    metrics.shadowComparisons.labels(slice, judged.result).inc();
    opts.onResult?.(slice, judged.result);
    try {
      await opts.store.add(judged.record);
    } catch (err) {
      metrics.shadowStoreErrors.labels(opts.store.backend).inc();
      logger.warn({ slice, err }, 'diff record not stored');
    }
  }

  function drain(): Promise<void> {
    if (inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      idle = resolve;
    });
  }

  return {
    admit(slice, paced = true) {
      if (opts.maxConcurrent === 0) {
        countSkip(slice, 'disabled');
        return false;
      }
      if (opts.sampleRate < 1 && random() >= opts.sampleRate) {
        countSkip(slice, 'sampled_out');
        return false;
      }
      if (budget.exhausted() || loop.busy()) {
        countSkip(slice, 'overload');
        return false;
      }
      if (inFlight >= opts.maxConcurrent) {
        countSkip(slice, 'concurrency');
        return false;
      }
      if (paced && !pace.take(slice)) {
        countSkip(slice, 'rate');
        return false;
      }
      inFlight++;
      return true;
    },
    skip(slice, reason) {
      countSkip(slice, reason);
    },
    run(job) {
      setImmediate(() => {
        execute(job).then(done, (err: unknown) => {
          logger.warn({ slice: job.slice, err }, 'shadow run crashed');
          done();
        });
      });
    },
    release: done,
    inFlight: () => inFlight,
    drain,
    warm: () => offload?.warm(),
    async close() {
      await drain();
      await offload?.close();
    },
  };
}

/**
 * Shadow steps take turns, first come first served: a turn starts in a `setImmediate` and runs waiting steps until
 * `sliceMs` of wall time has passed, then the rest wait for the next loop iteration. So the synchronous work of many
 * shadow runs that finish together (their candidates started together) is spread over loop iterations with client
 * I/O in between instead of blocking the loop in one burst, while cheap steps still run several per iteration.
 */
function createTurns(sliceMs: number) {
  const waiting: (() => void)[] = [];
  let scheduled = false;
  let sliceStart = Number.NEGATIVE_INFINITY;
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(next);
  };
  function next(): void {
    scheduled = false;
    sliceStart = performance.now();
    // The step itself runs in the microtask checkpoint right after this callback, and calls done() when it is over.
    waiting.shift()?.();
    if (waiting.length > 0) schedule();
  }
  return {
    turn(): Promise<void> {
      return new Promise((resolve) => {
        waiting.push(resolve);
        schedule();
      });
    },
    /** The step of the current turn is over: the next waiting one runs now if the slice has time left. */
    done(): void {
      if (waiting.length > 0 && performance.now() - sliceStart < sliceMs) waiting.shift()?.();
    },
  };
}

/**
 * Admission pacing per slice: after an admission the next one is due 1/`perSecond` s later. Without it the runs that free their
 * slots together (a batch timing out at the shadow deadline, candidates that answer in the same time) are replaced at
 * once, start together and finish together again: their synchronous work and the optimising compiler's work on the
 * paths they take arrive in bursts, which is what client latency notices. One admission per 1/rate s spreads them.
 */
function createPace(perSecond: number, now: () => number) {
  const intervalMs = perSecond > 0 ? 1000 / perSecond : 0;
  // Slice names come from the route table and the flags (a bounded set), never from requests.
  const next = new Map<string, number>();
  return {
    take(slice: string): boolean {
      if (intervalMs === 0) return true;
      const t = now();
      const due = next.get(slice) ?? Number.NEGATIVE_INFINITY;
      if (t < due) return false;
      // Credit for a quiet spell is not saved up: never two admissions within one interval, even after a pause.
      next.set(slice, t + intervalMs);
      return true;
    },
  };
}

/** A reader of the event-loop utilisation since its previous call. */
function eventLoopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const cur = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(cur, last).utilization;
    last = cur;
    return u;
  };
}

/**
 * Whether the process is busy: event-loop utilisation over the last quarter second above `max`. Read at most every
 * 250 ms (on an admission), so it costs nothing per request and needs no timer; a reading after more than a second
 * without one (start-up, a quiet spell) only starts the next period.
 */
function createLoopGauge(max: number, utilization: () => number, now: () => number, periodMs = 250) {
  // The first admission starts the first period (the time before it is the process starting up).
  let at = Number.NEGATIVE_INFINITY;
  let busy = false;
  return {
    busy(): boolean {
      if (max >= 1) return false;
      const t = now();
      if (t - at >= periodMs) {
        // A reading over a long quiet gap (or over start-up) says nothing about now: it only starts a new period.
        const u = utilization();
        busy = t - at < 4 * periodMs && u > max;
        at = t;
      }
      return busy;
    },
  };
}

/**
 * The CPU budget as a token bucket over measured time: every measured step adds its duration to a debt that is
 * repaid at `share` ms per ms of wall time; admissions stop while the debt exceeds one second's allowance. Over any
 * longer stretch the measured work stays within `share` of the time (runs already admitted still finish).
 */
function createBudget(share: number, now: () => number) {
  const allowance = share * 1000;
  let debt = 0;
  let at = now();
  const repay = (): void => {
    const t = now();
    debt = Math.max(0, debt - (t - at) * share);
    at = t;
  };
  return {
    exhausted(): boolean {
      if (share >= 1) return false;
      repay();
      return debt >= allowance;
    },
    measure<T>(step: () => T): T {
      const t = now();
      try {
        return step();
      } finally {
        repay();
        debt += now() - t;
      }
    },
  };
}
