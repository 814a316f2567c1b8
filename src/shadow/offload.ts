import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SliceRequest } from '../../routes/types.js';
import type { Logger } from '../observability/logger.js';
import {
  type CandidateRun,
  comparisonRef,
  type NoiseSnapshot,
  type RunResult,
  type WorkerInit,
  type WorkerReady,
  type WorkerReply,
  type WorkerRequest,
} from './compare-protocol.js';
import type { LegacyCapture, RunMeta, RunOutcome, RunRequest } from './judge.js';
import type { NoiseLearner } from './noise.js';
import { type RouteRef, routeKey } from './remote-routes.js';
import type { EncodedRecord } from './store/query.js';
import type { ResultClass, SliceComparison } from './types.js';

/**
 * The main-thread side of the comparison worker (src/shadow/compare-worker.ts): posts a finished shadow run's two
 * answers and gets back the result class and the masked diff record, encoded for the store. Started by `warm()`
 * (gateway start-up) or on first use; restarted after a crash, and given up after `maxCrashes` (the runner then compares on the main thread, as it does for comparisons the
 * worker cannot rebuild). A job whose worker died is rejected; the runner judges it itself.
 */
export interface CompareOffload {
  /** Whether the worker can judge runs of this comparison (it has a name the worker resolves). */
  accepts(comparison: SliceComparison | null): boolean;
  judge(job: {
    comparison: SliceComparison | null;
    meta: RunMeta;
    legacy: LegacyCapture;
    request: RunRequest;
    outcome: RunOutcome;
    durationMs: number;
  }): Promise<{ result: ResultClass; record: EncodedRecord }>;
  /**
   * Whether the worker can run this route's candidate itself (it was given legacy settings, the route comes from a
   * table it can load, the comparison has a name, and no earlier run of the route failed there).
   */
  acceptsRun(route: RouteRef | undefined, comparison: SliceComparison | null): route is RouteRef;
  /**
   * Runs the candidate in the worker (the route's handler, dry-run adapters, its own legacy pools, the shadow
   * deadline counted there), then judges it there. Posted at once, never held for a batch: the candidate's read
   * should follow legacy's answer as closely as it would on the main thread.
   */
  run(job: CandidateRun & { comparison: SliceComparison | null }): Promise<RunResult>;
  /** One noise sample: the normalised paths that differ between two legacy answers. */
  noisePaths(job: {
    comparison: SliceComparison | null;
    slice: string;
    first: LegacyCapture;
    again: LegacyCapture;
  }): Promise<string[]>;
  /**
   * Starts the worker now if it is not running (gateway start-up): loading it costs a few hundred ms of CPU, which
   * is better spent before client traffic than beside the first shadow run. Runs still wait for its `ready`.
   */
  warm(): void;
  close(): Promise<void>;
}

export interface OffloadOptions extends Omit<WorkerInit, 'nice'> {
  noise: Pick<NoiseLearner, 'list' | 'noiseOf' | 'version'>;
  logger: Logger;
  /** Niceness of the worker thread (default 19: it runs when the main thread leaves the core idle). */
  nice?: number;
  /** Worker script (default: compare-worker.js next to this module, or in dist/ when running from sources). */
  workerUrl?: URL;
  maxCrashes?: number;
  /** The learned-noise view is sent again at least this often (accepted differences expire). Default 10 s. */
  noiseRefreshMs?: number;
  /**
   * Jobs are held up to this long (or until `batchMax` wait) and posted together (0: each at once). The worker then
   * judges them back to back: one wake-up, warm caches. Default 250.
   */
  batchMs?: number;
  /** Jobs that make a batch go at once. Default 16. */
  batchMax?: number;
}

/** The process's thread ids (Linux /proc/self/task; empty elsewhere). */
function threadIds(): Set<string> {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/**
 * Renices the threads started since `before` (the worker's: `new Worker` starts its thread before it returns) at
 * once, from this thread: node's own start-up of the worker (a new isolate and node's internal modules, tens of ms
 * of CPU) then already runs below the threads serving clients, before the worker's first line could renice itself.
 * Best effort (no /proc, a thread gone, a platform without per-thread priorities: the worker still lowers its own).
 */
function reniceNewThreads(before: Set<string>, nice: number): void {
  if (before.size === 0) return;
  for (const tid of threadIds()) {
    if (before.has(tid)) continue;
    try {
      if (os.getPriority(Number(tid)) < nice) os.setPriority(Number(tid), nice);
    } catch {
      // gone already, or not allowed: the worker lowers its own priority when it starts
    }
  }
}

/** A request without its id (each member of the union on its own). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

/** dist/src/shadow/compare-worker.js; from the TypeScript sources (tests) the built copy, when there is one. */
function defaultWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/src/shadow/compare-worker.js', here)
    : new URL('./compare-worker.js', here);
}

export function createCompareOffload(opts: OffloadOptions): CompareOffload | null {
  const url = opts.workerUrl ?? defaultWorkerUrl();
  if (!existsSync(fileURLToPath(url))) {
    opts.logger.warn(
      { worker: url.href },
      'comparison worker not found (run `npm run build`): shadow runs are compared on the main thread',
    );
    return null;
  }
  const maxCrashes = opts.maxCrashes ?? 3;
  const refreshMs = opts.noiseRefreshMs ?? 10_000;
  const batchMs = opts.batchMs ?? 250;
  const batchMax = opts.batchMax ?? 16;
  /** Requests held for the next batch (each already counted in `pending`), and the timer that posts them. */
  let held: WorkerRequest[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  const init: WorkerInit = {
    maskKey: opts.maskKey,
    maskFreeText: opts.maskFreeText,
    keepMatchBodies: opts.keepMatchBodies,
    nice: opts.nice ?? 19,
    ...(opts.legacy ? { legacy: opts.legacy } : {}),
  };
  let worker: Worker | null = null;
  /** The worker has loaded its modules: until then (start-up, restarts) runs are judged on the main thread. */
  let ready = false;
  let crashes = 0;
  let closed = false;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();
  /** Routes whose candidate failed to run in the worker (a table it could not load): they run on the main thread. */
  const badRoutes = new Set<string>();
  let noiseSent = { version: -1, at: Number.NEGATIVE_INFINITY };

  /** Takes the held requests (and cancels their timer): to post them, or to drop them when the worker is gone. */
  function takeHeld(): WorkerRequest[] {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    const batch = held;
    held = [];
    return batch;
  }

  /** Posts the held requests to the current worker, in the order they came. */
  function flush(): void {
    for (const m of takeHeld()) worker?.postMessage(m);
  }

  function fail(w: Worker, err: Error): void {
    if (worker !== w) return;
    worker = null;
    ready = false;
    takeHeld();
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    if (closed) return;
    crashes++;
    noiseSent = { version: -1, at: Number.NEGATIVE_INFINITY };
    opts.logger.warn(
      { err, crashes, maxCrashes },
      crashes >= maxCrashes
        ? 'comparison worker failed again: shadow runs are compared on the main thread from now on'
        : 'comparison worker failed; it is restarted for the next shadow run',
    );
  }

  function start(): Worker {
    const before = threadIds();
    // The young generation's size flags are process-wide; the worker's heap stays small (a run's two answers).
    const w = new Worker(url, {
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 },
    });
    reniceNewThreads(before, init.nice);
    w.on('message', (r: WorkerReply | WorkerReady) => {
      if ('ready' in r) {
        if (worker !== w) return;
        ready = true;
        opts.logger.info(
          { nice: r.nice, schedIdle: r.idle },
          r.idle
            ? 'comparison worker started (SCHED_IDLE: it runs only when the main thread leaves the core idle)'
            : 'comparison worker started (without SCHED_IDLE: `chrt` missing or refused; at its nice value)',
        );
        return;
      }
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (pending.size === 0) w.unref();
      p.resolve(r);
    });
    w.on('error', (err) => fail(w, err));
    w.on('exit', (code) => fail(w, new Error(`comparison worker exited with code ${code}`)));
    w.unref();
    return w;
  }

  function snapshot(): NoiseSnapshot | undefined {
    const t = performance.now();
    const version = opts.noise.version();
    if (version === noiseSent.version && t - noiseSent.at < refreshMs) return undefined;
    noiseSent = { version, at: t };
    const out: NoiseSnapshot = [];
    for (const e of opts.noise.list()) {
      const why = opts.noise.noiseOf(e.slice, e.path);
      if (why) out.push([e.slice, e.path, why]);
    }
    return out;
  }

  /**
   * Queues a request (its id assigned here) for the next batch and resolves with the worker's reply to it. A batch
   * goes when `batchMax` requests wait or `batchMs` after its first one.
   */
  function post(message: Unnumbered<WorkerRequest>, now = false): Promise<WorkerReply> {
    if (closed) return Promise.reject(new Error('comparison worker closed'));
    worker ??= start();
    const w = worker;
    const id = nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      if (pending.size === 1) w.ref();
      held.push({ ...message, id } as WorkerRequest);
      if (now || held.length >= batchMax || batchMs === 0) flush();
      else flushTimer ??= setTimeout(flush, batchMs);
    }).then((r) => {
      if (!r.ok) throw new Error(`comparison worker: ${r.error}`);
      return r;
    });
  }

  /** Starts the worker unless it runs, the offload is closed or the worker was given up. */
  function warm(): void {
    if (!closed && crashes < maxCrashes) worker ??= start();
  }

  return {
    accepts(comparison) {
      if (comparisonRef(comparison) === undefined) return false;
      warm();
      return worker !== null && ready;
    },
    acceptsRun(route, comparison): route is RouteRef {
      return (
        opts.legacy !== undefined && route !== undefined && !badRoutes.has(routeKey(route)) && this.accepts(comparison)
      );
    },
    warm,
    async run(job) {
      const noise = snapshot();
      const { comparison, request, ...run } = job;
      // A plain copy: the router's params object has no prototype, the body crosses as bytes.
      const copy: SliceRequest = { ...request, params: { ...request.params } };
      const r = await post(
        { type: 'run', ref: comparisonRef(comparison) ?? null, request: copy, ...run, ...(noise ? { noise } : {}) },
        true,
      ).catch((err: unknown) => {
        // The worker answered with an error (it could not load the route, say): not worth trying again. A worker
        // that died rejects without `comparison worker:` and the route stays eligible for the restarted one.
        if (
          err instanceof Error &&
          err.message.startsWith('comparison worker: ') &&
          !badRoutes.has(routeKey(job.route))
        ) {
          badRoutes.add(routeKey(job.route));
          opts.logger.warn(
            { route: job.route.id, err },
            "comparison worker cannot run this route's candidate: it runs on the main thread from now on",
          );
        }
        throw err;
      });
      if (!('run' in r)) throw new Error('comparison worker: unexpected reply');
      const { id: _id, ok: _ok, run: _run, ...result } = r;
      return result;
    },
    async judge(job) {
      const noise = snapshot();
      const { comparison, ...run } = job;
      const r = await post({
        type: 'judge',
        ref: comparisonRef(comparison) ?? null,
        ...run,
        ...(noise ? { noise } : {}),
      });
      if (!('record' in r)) throw new Error('comparison worker: unexpected reply');
      return { result: r.result, record: r.record };
    },
    async noisePaths(job) {
      const { comparison, ...sample } = job;
      const r = await post({ type: 'noise', ref: comparisonRef(comparison) ?? null, ...sample });
      if (!('paths' in r)) throw new Error('comparison worker: unexpected reply');
      return r.paths;
    },
    async close() {
      closed = true;
      takeHeld();
      const w = worker;
      worker = null;
      for (const p of pending.values()) p.reject(new Error('comparison worker closed'));
      pending.clear();
      if (w) await w.terminate();
    },
  };
}
