#!/usr/bin/env node
/**
 * What judging one shadow run costs the thread that serves clients, by body size: on the main thread (decode,
 * compare on the TicketV1 contract, build and mask the record, encode it for the store: src/shadow/judge.ts, the
 * masker and `encodeForStore`, as the runner and store do without `shadow.worker`) against the comparison worker
 * (src/shadow/offload.ts: what is left on the main thread is posting the two answers and taking the encoded record
 * back, measured as event-loop active time). Reads dist/ (run
 * `npm run build` first). The legacy answer is a seeded ticket with N comments carrying e-mail addresses and phone
 * numbers (so masking has PII to find); the candidate's differs in its subject (a value_mismatch keeps both bodies).
 *
 *   node bench/judge.mjs [--runs 30] [--comments 0,50,400] [--paced 20]
 *
 * --paced R: afterwards, the CPU each run costs the worker thread, V8's and libuv's helper threads and the main thread
 * (Linux /proc/self/task/<tid>/schedstat) when runs come one at a time at R per second for 10 s, as in a shadowed
 * gateway, posted at once (`shadow.workerBatchMs` 0) and in batches (the default), against runs judged as fast as
 * the worker can: a lone run mostly pays for waking a cold thread.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderTicket, seedTicket } from '../dist/legacy-adapters/simulator/seed-tickets.js';
import { TICKETS_GET_COMPARISON } from '../dist/routes/comparisons.js';
import { createLogger } from '../dist/src/observability/logger.js';
import { judgeRun, recordOf } from '../dist/src/shadow/judge.js';
import { createMasker } from '../dist/src/shadow/mask.js';
import { createNoiseLearner } from '../dist/src/shadow/noise.js';
import { createCompareOffload } from '../dist/src/shadow/offload.js';
import { encodeForStore } from '../dist/src/shadow/store/query.js';
import { threadStats } from './lib/cpu.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    comments: { type: 'string', default: '0,50,400' },
    paced: { type: 'string' },
  },
});
const runs = Number(values.runs);
const sizes = values.comments.split(',').map(Number);
if (!Number.isInteger(runs) || runs < 1 || sizes.some((n) => !Number.isInteger(n) || n < 0)) {
  process.stderr.write('usage: node bench/judge.mjs [--runs N] [--comments 0,50,400]\n');
  process.exit(2);
}

const KEY = 'k'.repeat(32);
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const meta = {
  slice: 'tickets.get',
  route: 'tickets.get',
  requestId: 'r',
  method: 'GET',
  path: '/api/v2/tickets/7.json',
  tenant: null,
  channel: null,
  replay: null,
};
const request = { method: 'GET', path: meta.path, body: null };

function run(comments) {
  const ticket = {
    ...renderTicket('http://legacy.test', seedTicket(7)),
    comments: Array.from({ length: comments }, (_, i) => ({
      id: i,
      author_id: i,
      created_at: '2026-01-01T00:00:00Z',
      body: `Comment ${i} from Jane Doe jane.doe${i}@example.com, call +49 30 1234567${i % 10}. `.repeat(4),
    })),
  };
  const legacy = { status: 200, headers: JSON_TYPE, body: Buffer.from(JSON.stringify({ ticket })) };
  const outcome = {
    ok: true,
    status: 200,
    headers: JSON_TYPE,
    body: Buffer.from(JSON.stringify({ ticket: { ...ticket, subject: 'Other' } })),
  };
  return { comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome, durationMs: 1 };
}

const masker = createMasker({ key: KEY });
function onMainThread(job) {
  const j = judgeRun({
    slice: meta.slice,
    comparison: job.comparison,
    legacy: job.legacy,
    request,
    outcome: job.outcome,
  });
  return encodeForStore(masker.maskRecord(recordOf(meta, 'TicketV1', j, { keepMatchBodies: false, durationMs: 1 })));
}

const newOffload = async (batchMs) => {
  const o = createCompareOffload({
    maskKey: KEY,
    maskFreeText: 'hash',
    keepMatchBodies: false,
    batchMs,
    noise: createNoiseLearner({ minSamples: 5, minRate: 0.2, defaultAcceptDays: 30 }),
    logger: createLogger({ level: 'silent' }),
  });
  if (!o) throw new Error('dist/src/shadow/compare-worker.js is missing: run `npm run build`');
  while (!o.accepts(TICKETS_GET_COMPARISON)) await new Promise((r) => setTimeout(r, 10));
  return o;
};
// Each run posted at once: the round trip is what is timed.
const offload = await newOffload(0);

const rows = [];
for (const n of sizes) {
  const job = run(n);
  for (let i = 0; i < 10; i++) onMainThread(job);
  let t = performance.now();
  for (let i = 0; i < runs; i++) onMainThread(job);
  const here = (performance.now() - t) / runs;
  for (let i = 0; i < 10; i++) await offload.judge(job);
  const e0 = performance.eventLoopUtilization();
  t = performance.now();
  for (let i = 0; i < runs; i++) await offload.judge(job);
  const active = performance.eventLoopUtilization(e0).active / runs;
  const wall = (performance.now() - t) / runs;
  rows.push({ kb: job.legacy.body.length / 1024, here, active, wall });
}
await offload.close();
process.stdout.write(
  `main-thread time per judged run, ${runs} runs each (value_mismatch, both bodies kept and masked)\n`,
);
process.stdout.write('legacy body   on the main thread   with the worker: main thread   worker round trip\n');
for (const r of rows) {
  process.stdout.write(
    `${`${r.kb.toFixed(0)} KB`.padStart(11)}   ${`${r.here.toFixed(2)} ms`.padStart(18)}   ${`${r.active.toFixed(2)} ms`.padStart(28)}   ${`${r.wall.toFixed(2)} ms`.padStart(17)}\n`,
  );
}

if (values.paced !== undefined) await paced(Number(values.paced));

/** CPU ms per run by thread kind (worker = the nice-19 thread) while `fn` judges `n` runs. */
async function cpuPerRun(n, fn) {
  const a = threadStats('self');
  await fn();
  const sum = { worker: 0, helpers: 0, main: 0 };
  for (const [tid, v] of threadStats('self')) {
    const ms = (v.run - (a.get(tid)?.run ?? 0)) / 1e6;
    if (tid === String(process.pid)) sum.main += ms;
    else if (v.nice === 19) sum.worker += ms;
    else sum.helpers += ms;
  }
  return Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / n]));
}

async function paced(rate) {
  if (!Number.isFinite(rate) || rate <= 0 || !existsSync('/proc/self/task')) {
    process.stderr.write('--paced needs a positive rate, and Linux /proc\n');
    process.exit(2);
  }
  const job = run(0);
  job.outcome = { ok: false, timeout: false, error: 'bench: the new path fails' };
  const n = Math.round(rate * 10);
  const gap = () => new Promise((r) => setTimeout(r, 1000 / rate));
  const rows = [];
  for (const [label, batchMs] of [
    ['one at a time, posted at once', 0],
    ['one at a time, in batches (default)', undefined],
  ]) {
    const o = await newOffload(batchMs);
    // Warm-up: the same number of runs first (the worker's code gets optimised).
    const each = async () => {
      const pending = [];
      for (let i = 0; i < n; i++) {
        pending.push(o.judge(job));
        await gap();
      }
      await Promise.all(pending);
    };
    await each();
    rows.push([label, await cpuPerRun(n, each)]);
    if (batchMs === 0) {
      const hot = 2000;
      rows.push([
        'back to back, as fast as it can',
        await cpuPerRun(hot, async () => {
          for (let i = 0; i < hot; i++) await o.judge(job);
        }),
      ]);
    }
    await o.close();
  }
  process.stdout.write(`\nCPU ms per judged run (candidate_error, 2 KB ticket), ${rate} runs/s for 10 s:\n`);
  process.stdout.write('how the runs come                       worker   helper threads   main thread\n');
  for (const [label, r] of rows) {
    process.stdout.write(
      `${label.padEnd(36)} ${r.worker.toFixed(3).padStart(9)} ${r.helpers.toFixed(3).padStart(16)} ${r.main.toFixed(3).padStart(13)}\n`,
    );
  }
}
