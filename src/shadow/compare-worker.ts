/**
 * The comparison worker: a worker thread that does a shadow run's synchronous work once both answers are in (decode,
 * compare on the contract, build and mask the diff record; noise samples), so that none of it runs on the thread
 * that serves clients. It lowers its own scheduling priority first (Linux: nice of its thread), so on a busy core it
 * runs in the time the main thread leaves idle. Started by src/shadow/offload.ts; see decision 20.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { ROUTE_COMPARISONS } from '../../routes/comparisons.js';
import { botReplyComparison } from '../pipeline/intent-comparison.js';
import type { NoiseSnapshot, WorkerInit, WorkerReply, WorkerRequest } from './compare-protocol.js';
import { judgeRun, type LegacyCapture, noisePaths, recordOf } from './judge.js';
import { createMasker } from './mask.js';
import { encodeForStore } from './store/query.js';
import type { NoiseView, SliceComparison } from './types.js';

const init = workerData as WorkerInit;
const priority = lowerPriority(init.nice);
const masker = createMasker({ key: init.maskKey, freeText: init.maskFreeText });

let noise = new Map<string, 'learned' | 'accepted'>();
const noiseView: NoiseView = { noiseOf: (slice, path) => noise.get(`${slice}\u0000${path}`) ?? null };
const setNoise = (snapshot: NoiseSnapshot): void => {
  noise = new Map(snapshot.map(([slice, path, why]) => [`${slice}\u0000${path}`, why]));
};

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

parentPort?.postMessage({ ready: true, ...priority });
parentPort?.on('message', (m: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = handle(m);
  } catch (err) {
    reply = { id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});

/**
 * Linux lets a thread renice itself (its tid from /proc/thread-self; raising niceness needs no privilege), and move
 * itself to SCHED_IDLE (util-linux `chrt`, as node has no sched_setscheduler): a client request that wakes the main
 * thread then preempts this one at once, where under a nice value alone it could finish its time slice first.
 * Best effort: elsewhere the worker runs at the process's priority. Reports what it got.
 */
function lowerPriority(nice: number): { nice: number | null; idle: boolean } {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return { nice: null, idle: false };
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch {
    return { nice: null, idle: false };
  }
  const idle = spawnSync('chrt', ['--idle', '-p', '0', String(tid)], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  return { nice: os.getPriority(tid), idle };
}
