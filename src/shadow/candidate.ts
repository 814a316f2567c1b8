import { RequestBodyError } from '../../mappers/ticket-write.js';
import type { Adapters, NewResponse, RouteSpec, SliceRequest } from '../../routes/types.js';
import { DeadlineError, withDeadline } from '../pipeline/fallback.js';
import { createDryRunAdapters } from './dry-run.js';
import type { RunOutcome } from './judge.js';
import type { Effect } from './types.js';

/**
 * Running a shadow run's candidate, the same on the main thread (src/shadow/runner.ts) and in the comparison worker
 * (src/shadow/compare-worker-main.ts).
 */

/**
 * A candidate: the new path run on a copy of the request, for writes the effects it would have had, and how many of
 * its legacy reads were answered with legacy's answer to the client (`primedReads`, when any were).
 */
export type Candidate = (
  signal: AbortSignal,
) => Promise<{ answer: NewResponse; effects?: Effect[]; primedReads?: number }>;

/** Adapters whose read of the client's own request is answered from legacy's answer to it (`onHit` counts each). */
export type PrimedAdapters = (onHit: () => void) => Adapters;

/**
 * A route's new handler run dry: write methods of the adapters only record what they would have done (never a
 * write to legacy because of shadowing); the effects come back for write routes.
 */
export function dryRunCandidate(
  spec: Pick<RouteSpec, 'handler' | 'write'>,
  req: SliceRequest,
  adapters: Adapters | PrimedAdapters,
  forwardHeaders: Record<string, string>,
  recordGaps: (paths: readonly string[]) => void,
): Candidate {
  return async (signal) => {
    const effects: Effect[] = [];
    let primedReads = 0;
    const reads = typeof adapters === 'function' ? adapters(() => primedReads++) : adapters;
    const answer = await spec.handler(req, {
      signal,
      adapters: createDryRunAdapters(reads, effects),
      forwardHeaders,
      dryRun: true,
      commit: () => {},
      recordGaps,
    });
    return { answer, ...(spec.write ? { effects } : {}), ...(primedReads > 0 ? { primedReads } : {}) };
  };
}

/**
 * How a candidate ended under the shadow deadline. `deferred`: it handed the request to legacy (a body its contract
 * does not model), so there is nothing to compare. `lateMs`: for a timeout, how much later than due the deadline
 * fired (a thread starved of CPU), else 0. `err`: what it threw, for the logs.
 */
export type CandidateEnd =
  | { deferred: true }
  | { deferred: false; outcome: RunOutcome; durationMs: number; lateMs: number; err?: unknown };

export async function runCandidate(deadlineMs: number, candidate: Candidate): Promise<CandidateEnd> {
  const t0 = performance.now();
  let outcome: RunOutcome;
  let lateMs = 0;
  let failure: { err: unknown } | null = null;
  try {
    const out = await withDeadline(deadlineMs, new AbortController(), candidate);
    const { status, headers, body } = out.answer;
    outcome = {
      ok: true,
      status,
      headers,
      body,
      ...(out.effects ? { effects: out.effects } : {}),
      ...(out.primedReads ? { primedReads: out.primedReads } : {}),
    };
  } catch (err) {
    if (err instanceof RequestBodyError) return { deferred: true };
    const timeout = err instanceof DeadlineError;
    if (timeout) lateMs = Math.max(0, performance.now() - t0 - deadlineMs);
    outcome = { ok: false, timeout, error: (err as Error)?.message ?? String(err) };
    failure = { err };
  }
  const durationMs = Math.round((performance.now() - t0) * 10) / 10;
  return { deferred: false, outcome, durationMs, lateMs, ...(failure ?? {}) };
}
