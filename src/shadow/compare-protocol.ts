import type { LegacyClientSettings } from '../../legacy-adapters/clients.js';
import type { SliceRequest } from '../../routes/types.js';
import type { LegacyCapture, RunMeta, RunOutcome, RunRequest } from './judge.js';
import type { PrimedKey } from './primed.js';
import type { RouteRef } from './remote-routes.js';
import type { EncodedRecord } from './store/query.js';
import type { ResultClass, SliceComparison } from './types.js';

/**
 * Messages between the shadow runner and its comparison worker (src/shadow/compare-worker.ts). Everything in them is
 * structured-clonable: a slice's comparison travels as a name the worker resolves to the same object (see
 * `comparisonRef`), never as functions.
 */

export interface WorkerInit {
  maskKey: string | Buffer;
  maskFreeText: 'hash' | 'redact';
  keepMatchBodies: boolean;
  /** Niceness the worker thread asks for (Linux; ignored elsewhere). */
  nice: number;
  /** Legacy pools of the worker's own, for candidates it runs (`run` requests); absent: it only judges. */
  legacy?: LegacyClientSettings | undefined;
}

/** Noise paths of slices, as the main thread's learner judges them now (`noiseOf` answers). */
export type NoiseSnapshot = Array<[slice: string, path: string, why: 'learned' | 'accepted']>;

export type WorkerRequest =
  | {
      type: 'judge';
      id: number;
      ref: string | null;
      meta: RunMeta;
      legacy: LegacyCapture;
      request: RunRequest;
      outcome: RunOutcome;
      durationMs: number;
      noise?: NoiseSnapshot;
    }
  | { type: 'noise'; id: number; ref: string | null; slice: string; first: LegacyCapture; again: LegacyCapture }
  /** Run the candidate here (the route's new handler, dry-run adapters), then judge it as `judge` does. */
  | ({ type: 'run'; id: number; ref: string | null; noise?: NoiseSnapshot } & CandidateRun);

/** A shadow run whose candidate the worker runs itself: the request as the new handler sees it, and legacy's answer. */
export interface CandidateRun {
  route: RouteRef;
  request: SliceRequest;
  /** Client headers the legacy adapters pass on. */
  forwardHeaders: Record<string, string>;
  /** The shadow deadline, counted from when the worker starts the candidate. */
  deadlineMs: number;
  meta: RunMeta;
  legacy: LegacyCapture;
  /** The candidate's read of this URL gets `legacy` as its answer (src/shadow/primed.ts); null: none does. */
  primed: PrimedKey | null;
}

/** The worker's first message: modules loaded, and the scheduling it got (`nice` null: could not be set). */
export interface WorkerReady {
  ready: true;
  nice: number | null;
  idle: boolean;
}

/** What a candidate run in the worker came to: judged, or nothing to compare (counted as a skip by the runner). */
export type RunResult = { gaps: number } & (
  | { result: ResultClass; record: EncodedRecord }
  /** `candidate_deferred`: the candidate handed the request to legacy; `overload`: the worker was starved of CPU past the deadline. */
  | { skipped: 'candidate_deferred' | 'overload' }
);

export type WorkerReply =
  | { id: number; ok: true; result: ResultClass; record: EncodedRecord }
  | ({ id: number; ok: true; run: true } & RunResult)
  | { id: number; ok: true; paths: string[] }
  | { id: number; ok: false; error: string };

const refs = new WeakMap<SliceComparison, string>();

/** Gives a comparison a name the worker can resolve (`route:<export of routes/comparisons>`, `bot-reply:<t>`). */
export function nameComparison<T extends SliceComparison>(ref: string, comparison: T): T {
  refs.set(comparison, ref);
  return comparison;
}

/** The comparison's name; undefined when the worker could not rebuild it (then it is compared on the main thread). */
export function comparisonRef(comparison: SliceComparison | null): string | null | undefined {
  return comparison === null ? null : refs.get(comparison);
}
