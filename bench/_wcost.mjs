import { readdirSync, readFileSync } from 'node:fs';
import { renderTicket, seedTicket } from '../dist/legacy-adapters/simulator/seed-tickets.js';
import { TICKETS_GET_COMPARISON } from '../dist/routes/comparisons.js';
import { createLogger } from '../dist/src/observability/logger.js';
import { createNoiseLearner } from '../dist/src/shadow/noise.js';
import { createCompareOffload } from '../dist/src/shadow/offload.js';
const [mode, rate, secs] = [process.argv[2] ?? 'fail', Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 10)];
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const meta = { slice: 'tickets.get', route: 'tickets.get', requestId: 'r', method: 'GET', path: '/api/v2/tickets/7.json', tenant: null, channel: null, replay: null };
const ticket = renderTicket('http://legacy.test', seedTicket(7));
const legacy = { status: 200, headers: JSON_TYPE, body: Buffer.from(JSON.stringify({ ticket })) };
const outcome = mode === 'fail' ? { ok: false, timeout: false, error: 'bench: the new path fails' } : { ok: true, status: 200, headers: JSON_TYPE, body: legacy.body };
const job = { comparison: TICKETS_GET_COMPARISON, meta, legacy, request: { method: 'GET', path: meta.path, body: null }, outcome, durationMs: 1 };
const offload = createCompareOffload({ maskKey: 'k'.repeat(32), maskFreeText: 'hash', keepMatchBodies: false, noise: createNoiseLearner({ minSamples: 5, minRate: 0.2, defaultAcceptDays: 30 }), logger: createLogger({ level: 'silent' }) });
while (!offload.accepts(TICKETS_GET_COMPARISON)) await new Promise((r) => setTimeout(r, 10));
const threads = () => {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    const st = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'); const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    const [run] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
    out.set(tid, { nice: Number(f[16]), run });
  }
  return out;
};
const measure = async (label, n, gapMs) => {
  const a = threads(); const t0 = performance.now();
  for (let i = 0; i < n; i++) { await offload.judge(job); if (gapMs) await new Promise((r) => setTimeout(r, gapMs)); }
  const b = threads(); let worker = 0, other = 0, main = 0;
  for (const [tid, v] of b) { const d = (v.run - (a.get(tid)?.run ?? 0)) / 1e6; if (tid === String(process.pid)) main += d; else if (v.nice === 19) worker += d; else other += d; }
  console.log(`${label}: ${n} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s; per run ms: worker ${(worker / n).toFixed(3)}, other threads ${(other / n).toFixed(3)}, main ${(main / n).toFixed(3)}`);
};
const measureBatch = async (label, n, batch, gapMs) => {
  const a = threads(); const t0 = performance.now();
  for (let i = 0; i < n; i += batch) { await Promise.all(Array.from({ length: batch }, () => offload.judge(job))); await new Promise((r) => setTimeout(r, gapMs)); }
  const b = threads(); let worker = 0, other = 0, main = 0;
  for (const [tid, v] of b) { const d = (v.run - (a.get(tid)?.run ?? 0)) / 1e6; if (tid === String(process.pid)) main += d; else if (v.nice === 19) worker += d; else other += d; }
  console.log(`${label}: ${n} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s; per run ms: worker ${(worker / n).toFixed(3)}, other threads ${(other / n).toFixed(3)}, main ${(main / n).toFixed(3)}`);
};
if (process.argv[5] === 'batch') {
  await measure('paced warm-up', rate * secs, 1000 / rate);
  await measureBatch('batches of 5 every 250 ms', rate * secs, 5, 250);
  await measureBatch('batches of 10 every 500 ms', rate * secs, 10, 500);
  await measure('paced', rate * secs, 1000 / rate);
  await offload.close();
  process.exit(0);
}
await measure('paced warm-up', rate * secs, 1000 / rate);
await measure('paced', rate * secs, 1000 / rate);
await measure('hot', 2000, 0);
await measure('paced after hot', rate * secs, 1000 / rate);
await offload.close();
