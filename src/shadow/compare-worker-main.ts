/**
 * The comparison worker's work (loaded by ./compare-worker.ts once the thread's priority is lowered): judges a shadow
 * run (decode, compare on the contract, build, mask and encode the diff record) or takes a noise sample, for each
 * message from src/shadow/offload.ts. Comparisons cross by name and are rebuilt here (compare-protocol.ts).
 */
import { parentPort } from 'node:worker_threads';
import { createLegacyClients } from '../../legacy-adapters/clients.js';
import { ROUTE_COMPARISONS } from '../../routes/comparisons.js';
import { botReplyComparison } from '../pipeline/intent-comparison.js';
import { dryRunCandidate, runCandidate } from './candidate.js';
import type {
  NoiseSnapshot,
  RunResult,
  WorkerInit,
  WorkerReady,
  WorkerReply,
  WorkerRequest,
} from './compare-protocol.js';
import { judgeRun, type LegacyCapture, noisePaths, type RunOutcome, recordOf } from './judge.js';
import { createMasker } from './mask.js';
import { primedRead } from './primed.js';
import { resolveRoute } from './remote-routes.js';
import { encodeForStore } from './store/query.js';
import type { NoiseView, SliceComparison } from './types.js';

const comparisons = new Map<string, SliceComparison>();
function resolve(ref: string | null): SliceComparison | null {
  if (ref === null) return null;
  let c = comparisons.get(ref);
  if (c === undefined) {
    const [kind, arg = ''] = ref.split(':', 2);
    c = kind === 'route' ? ROUTE_COMPARISONS[arg] : kind === 'bot-reply' ? botReplyComparison(Number(arg)) : undefined;
    if (c === undefined) throw new Error(`unknown comparison ${ref}`);
    comparisons.set(ref, c);
  }
  return c;
}

/** Buffers arrive as plain Uint8Arrays (structured clone); the decoders expect Buffers. */
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
const capture = (c: LegacyCapture): LegacyCapture => (c.body instanceof Uint8Array ? { ...c, body: buf(c.body) } : c);

/**
 * A candidate whose deadline fired this much later than due was starved of CPU (the worker runs at idle priority,
 * and a busy core may not give it any for a while): its timeout says nothing about the new path, so the run is
 * skipped as `overload` instead of being recorded as `candidate_timeout`.
 */
const STARVED_MS = 100;

/** Answers the main thread's requests until the thread is terminated; says it is ready (with its priority) first. */
export function serve(init: WorkerInit, priority: Omit<WorkerReady, 'ready'>): void {
  const masker = createMasker({ key: init.maskKey, freeText: init.maskFreeText });
  let noise = new Map<string, 'learned' | 'accepted'>();
  const noiseView: NoiseView = { noiseOf: (slice, path) => noise.get(`${slice}\u0000${path}`) ?? null };
  const setNoise = (snapshot: NoiseSnapshot): void => {
    noise = new Map(snapshot.map(([slice, path, why]) => [`${slice}\u0000${path}`, why]));
  };

  /** Decode, compare, build the record, mask it and encode it for the store (query fields + JSON): one string back. */
  function judge(m: Extract<WorkerRequest, { type: 'judge' | 'run' }>, outcome: RunOutcome, durationMs: number) {
    const comparison = resolve(m.ref);
    if (m.noise) setNoise(m.noise);
    const request =
      m.type === 'run' ? { method: m.request.method, path: m.request.path, body: m.request.body } : m.request;
    const judged = judgeRun({
      slice: m.meta.slice,
      comparison,
      legacy: capture(m.legacy),
      request: request.body instanceof Uint8Array ? { ...request, body: buf(request.body) } : request,
      outcome: outcome.ok && outcome.body instanceof Uint8Array ? { ...outcome, body: buf(outcome.body) } : outcome,
      noise: noiseView,
    });
    const record = recordOf(m.meta, comparison?.contract ?? null, judged, {
      keepMatchBodies: init.keepMatchBodies,
      durationMs,
    });
    return { result: judged.comparison.result, record: encodeForStore(masker.maskRecord(record)) };
  }

  // The worker's own legacy pools, made on the first candidate it runs.
  let clients: ReturnType<typeof createLegacyClients> | null = null;

  /** Runs the route's new handler with dry-run adapters under the shadow deadline, as the main thread would. */
  async function run(m: Extract<WorkerRequest, { type: 'run' }>): Promise<RunResult> {
    if (!init.legacy) throw new Error('the worker was started without legacy settings: it cannot run candidates');
    const spec = await resolveRoute(m.route);
    clients ??= createLegacyClients(init.legacy);
    const own = clients;
    let gaps = 0;
    const req = m.request;
    if (req.body instanceof Uint8Array) req.body = buf(req.body);
    const { primed } = m;
    const adapters = primed
      ? (onHit: () => void) => own.primedAdapters(primedRead(primed, capture(m.legacy)), onHit)
      : own.adapters;
    const candidate = dryRunCandidate(spec, req, adapters, m.forwardHeaders, (paths) => {
      gaps += paths.length;
    });
    const end = await runCandidate(m.deadlineMs, candidate);
    if (end.deferred) return { gaps, skipped: 'candidate_deferred' };
    if (end.lateMs > STARVED_MS) return { gaps, skipped: 'overload' };
    return { gaps, ...judge(m, end.outcome, end.durationMs) };
  }

  const reply = (m: WorkerRequest, r: () => WorkerReply | Promise<WorkerReply>): void => {
    const failed = (err: unknown): WorkerReply => ({
      id: m.id,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    });
    let out: WorkerReply | Promise<WorkerReply>;
    try {
      out = r();
    } catch (err) {
      out = failed(err);
    }
    if (out instanceof Promise)
      out.then(
        (v) => parentPort?.postMessage(v),
        (err) => parentPort?.postMessage(failed(err)),
      );
    else parentPort?.postMessage(out);
  };

  const ready: WorkerReady = { ready: true, ...priority };
  parentPort?.postMessage(ready);
  parentPort?.on('message', (m: WorkerRequest) => {
    reply(m, () => {
      if (m.type === 'noise') {
        const paths = noisePaths(m.slice, resolve(m.ref), capture(m.first), capture(m.again));
        return { id: m.id, ok: true, paths };
      }
      if (m.type === 'run') return run(m).then((r) => ({ id: m.id, ok: true, run: true, ...r }));
      return { id: m.id, ok: true, ...judge(m, m.outcome, m.durationMs) };
    });
  });
}
