/**
 * The comparison worker's work (loaded by ./compare-worker.ts once the thread's priority is lowered): judges a shadow
 * run (decode, compare on the contract, build, mask and encode the diff record) or takes a noise sample, for each
 * message from src/shadow/offload.ts. Comparisons cross by name and are rebuilt here (compare-protocol.ts).
 */
import { parentPort } from 'node:worker_threads';
import { ROUTE_COMPARISONS } from '../../routes/comparisons.js';
import { botReplyComparison } from '../pipeline/intent-comparison.js';
import type { NoiseSnapshot, WorkerInit, WorkerReady, WorkerReply, WorkerRequest } from './compare-protocol.js';
import { judgeRun, type LegacyCapture, noisePaths, recordOf } from './judge.js';
import { createMasker } from './mask.js';
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

/** Answers the main thread's requests until the thread is terminated; says it is ready (with its priority) first. */
export function serve(init: WorkerInit, priority: Omit<WorkerReady, 'ready'>): void {
  const masker = createMasker({ key: init.maskKey, freeText: init.maskFreeText });
  let noise = new Map<string, 'learned' | 'accepted'>();
  const noiseView: NoiseView = { noiseOf: (slice, path) => noise.get(`${slice}\u0000${path}`) ?? null };
  const setNoise = (snapshot: NoiseSnapshot): void => {
    noise = new Map(snapshot.map(([slice, path, why]) => [`${slice}\u0000${path}`, why]));
  };

  function handle(m: WorkerRequest): WorkerReply {
    const comparison = resolve(m.ref);
    if (m.type === 'noise') {
      return { id: m.id, ok: true, paths: noisePaths(m.slice, comparison, capture(m.first), capture(m.again)) };
    }
    if (m.noise) setNoise(m.noise);
    const { outcome, request } = m;
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
      durationMs: m.durationMs,
    });
    // Encoded here (query fields + JSON): a large record crosses to the main thread as one string, ready to store.
    return { id: m.id, ok: true, result: judged.comparison.result, record: encodeForStore(masker.maskRecord(record)) };
  }

  const ready: WorkerReady = { ready: true, ...priority };
  parentPort?.postMessage(ready);
  parentPort?.on('message', (m: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      reply = handle(m);
    } catch (err) {
      reply = { id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    parentPort?.postMessage(reply);
  });
}
