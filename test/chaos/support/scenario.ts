import { randomBytes } from 'node:crypto';
import { applyFlagChange, type ClientFeaturesDoc, emptyDoc } from '../../../flags/edit.js';
import { serveFlag, shadowFlag } from '../../../flags/names.js';
import type { Simulator } from '../../../legacy-adapters/simulator/server.js';
import { type Kind, type RequestRecord, startLoad, warmUp } from '../../helpers/load.js';
import { type ChaosRow, summarize, writeRow } from './report.js';

/**
 * One chaos scenario: steady load through the gateway (before → fault → heal → after), then the verdict. A scenario
 * fails on any unanswered request, any duplicate write in legacy, a crash, a 5xx that is neither legacy's own answer
 * nor the gateway's problem+json, any error before the fault or after healing, a ticket answer for another ticket,
 * and whatever the scenario's own `check` adds (proof that the fault really happened and was handled as designed).
 */

/** Slices under load: tickets.get served (100 %), the FAQ intent served, the order-status intent shadowed. */
export function chaosFlags(): ClientFeaturesDoc {
  let doc = emptyDoc();
  doc = applyFlagChange(doc, serveFlag('tickets.get'), { rollout: 100 });
  doc = applyFlagChange(doc, serveFlag('intent.faq'), { rollout: 100 });
  doc = applyFlagChange(doc, shadowFlag('intent.order_status'), { rollout: 100 });
  return doc;
}

export interface ChaosOptions {
  fault: string;
  gateway: ChaosRow['gateway'];
  baseUrl: string;
  sim: Simulator;
  inject(): Promise<void> | void;
  heal(): Promise<void> | void;
  /** Runs while the fault is on (e.g. watches a gauge); awaited before healing. */
  duringFault?(): Promise<void>;
  /** Child-process scenarios: whether the gateway process exited. */
  crashed?(): boolean;
  beforeMs?: number;
  faultMs?: number;
  /** After healing, before the `after` checks apply: reconnects, breakers half-opening. */
  settleMs?: number;
  afterMs?: number;
  rps?: number;
  concurrency?: number;
  /** Kinds that must have been served by the new path before the fault (default: slice and ai_faq). */
  newBefore?: readonly Kind[];
  /** Kinds that must be served by the new path again after healing (default: slice). */
  newAfter?: readonly Kind[];
  /** Scenario-specific verdict: push to row.failures (and row.notes). */
  check?(records: readonly RequestRecord[], row: ChaosRow): void | Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosRow> {
  const runId = `chaos-${randomBytes(4).toString('hex')}`;
  let inProcessCrashes = 0;
  const onCrash = () => {
    inProcessCrashes++;
  };
  process.on('uncaughtExceptionMonitor', onCrash);
  process.on('unhandledRejection', onCrash);
  await warmUp(o.baseUrl, runId);
  const t0 = Date.now();
  const load = startLoad({
    baseUrl: o.baseUrl,
    runId,
    ...(o.rps ? { rps: o.rps } : {}),
    ...(o.concurrency ? { concurrency: o.concurrency } : {}),
  });
  let records: RequestRecord[];
  try {
    await sleep(o.beforeMs ?? 1_200);
    load.setPhase('fault');
    await o.inject();
    await Promise.all([sleep(o.faultMs ?? 2_500), o.duringFault?.()]);
    await o.heal();
    load.setPhase('recovery');
    await sleep(o.settleMs ?? 1_000);
    load.setPhase('after');
    await sleep(o.afterMs ?? 1_500);
  } finally {
    records = await load.stop();
    process.off('uncaughtExceptionMonitor', onCrash);
    process.off('unhandledRejection', onCrash);
  }
  const crashes = inProcessCrashes + (o.crashed?.() ? 1 : 0);
  const row = summarize(o.fault, o.gateway, records, {
    duplicateWrites: o.sim.duplicateWrites(),
    crashes,
    durationMs: Date.now() - t0,
  });
  const fail = (msg: string) => row.failures.push(msg);

  const unanswered = records.filter((r) => r.status === null);
  if (unanswered.length) {
    fail(
      `${unanswered.length} unanswered: ${unanswered
        .slice(0, 3)
        .map((r) => `${r.kind}/${r.phase}: ${r.error}`)
        .join('; ')}`,
    );
  }
  if (row.duplicateWrites > 0) fail(`${row.duplicateWrites} duplicate writes in legacy`);
  if (crashes > 0) fail(`${crashes} crash(es)`);
  const unclear = records.filter((r) => r.status !== null && r.status >= 500 && !r.problem && !r.fromLegacy);
  if (unclear.length) fail(`${unclear.length} 5xx answers that are neither problem+json nor legacy's own`);
  for (const phase of ['before', 'after'] as const) {
    // Before: sent and answered before the fault. After: sent after healing (and settling).
    const bad = records.filter(
      (r) => r.phase === phase && r.endPhase === phase && r.status !== null && r.status >= 500,
    );
    if (bad.length) {
      fail(
        `${bad.length} server errors ${phase === 'before' ? 'before the fault' : 'after healing'}: ${bad
          .slice(0, 3)
          .map((r) => `${r.kind} ${r.status}${r.retry ? ' (retry)' : ''}`)
          .join(', ')}`,
      );
    }
  }
  for (const [phase, kinds] of [
    ['before', o.newBefore ?? ['slice', 'ai_faq']],
    ['after', o.newAfter ?? ['slice']],
  ] as const) {
    for (const kind of kinds) {
      if (!records.some((r) => r.phase === phase && r.kind === kind && r.servedBy === 'new')) {
        fail(
          `no ${kind} request was served by the new path ${phase === 'before' ? 'before the fault' : 'after healing'}`,
        );
      }
    }
  }
  // What each kind of request got while the fault was on: status, who served it, and why.
  for (const kind of ['passthrough', 'slice', 'create', 'ai_faq', 'ai_shadow'] as const) {
    const during = records.filter((r) => r.kind === kind && r.phase === 'fault');
    const summary = countBy(during, (r) =>
      r.status === null ? 'no answer' : `${r.status} ${r.servedBy ?? '-'}${r.reason ? `/${r.reason}` : ''}`,
    );
    const slowest = Math.max(0, ...during.map((r) => r.ms));
    row.notes.push(`during fault, ${kind}: ${JSON.stringify(summary)}, slowest ${slowest} ms`);
  }
  const retries = records.filter((r) => r.retry);
  if (retries.length) {
    row.notes.push(
      `write retries after healing (same Idempotency-Key): ${JSON.stringify(countBy(retries, (r) => `${r.status} ${r.lookup ?? '-'}`))}`,
    );
  }
  const wrongTicket = records.filter((r) => r.ticketGot !== undefined && r.ticketGot !== r.ticketAsked);
  if (wrongTicket.length) fail(`${wrongTicket.length} ticket answers were not the requested ticket (garbage served)`);
  await o.check?.(records, row);
  writeRow(row);
  return row;
}

/** Requests of one kind and phase. */
export function pick(records: readonly RequestRecord[], kind: Kind, phase?: RequestRecord['phase']): RequestRecord[] {
  return records.filter((r) => r.kind === kind && (phase === undefined || r.phase === phase) && !r.retry);
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}
