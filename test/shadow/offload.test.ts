import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { renderTicket, seedTicket } from '../../legacy-adapters/simulator/seed-tickets.js';
import { TICKETS_GET_COMPARISON } from '../../routes/comparisons.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { judgeRun, type LegacyCapture, type RunMeta, recordOf } from '../../src/shadow/judge.js';
import { createMasker } from '../../src/shadow/mask.js';
import { createNoiseLearner, type NoiseLearner } from '../../src/shadow/noise.js';
import { type CompareOffload, createCompareOffload } from '../../src/shadow/offload.js';
import { createShadowRunner } from '../../src/shadow/runner.js';
import { createMemoryDiffStore } from '../../src/shadow/store/memory.js';
import { decodeRecord } from '../../src/shadow/store/query.js';
import type { DiffRecord, SliceComparison } from '../../src/shadow/types.js';

/**
 * The comparison worker (src/shadow/compare-worker.ts, run from dist/: `npm test` builds first) judges a shadow run
 * exactly as the main thread would, at the lowest scheduling priority, and a worker that dies never loses a run.
 */
const KEY = 'k'.repeat(32);
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const logger = createLogger({ level: 'silent' });
const ticket = (id: number, patch: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ ticket: { ...renderTicket('http://legacy.test', seedTicket(id)), ...patch } }));
const meta: RunMeta = {
  slice: 'tickets.get',
  route: 'tickets.get',
  requestId: 'r1',
  method: 'GET',
  path: '/api/v2/tickets/7.json',
  tenant: 'acme',
  channel: 'web',
  replay: null,
};
const legacy: LegacyCapture = { status: 200, headers: JSON_TYPE, body: ticket(7) };
const request = { method: 'GET', path: '/api/v2/tickets/7.json', body: null };

const learner = (): NoiseLearner => createNoiseLearner({ minSamples: 2, minRate: 0.5, defaultAcceptDays: 30 });
const open: CompareOffload[] = [];
function offload(over: Partial<Parameters<typeof createCompareOffload>[0]> = {}): CompareOffload {
  const o = createCompareOffload({
    maskKey: KEY,
    maskFreeText: 'hash',
    keepMatchBodies: false,
    noise: learner(),
    logger,
    ...over,
  });
  if (!o) throw new Error('dist/src/shadow/compare-worker.js is missing: run `npm run build`');
  open.push(o);
  return o;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function untilReady(o: CompareOffload, comparison: SliceComparison | null = TICKETS_GET_COMPARISON) {
  const t0 = Date.now();
  while (!o.accepts(comparison)) {
    if (Date.now() - t0 > 15_000) throw new Error('worker not ready in 15 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the main thread makes of the same run (same key), for comparison. */
function here(outcome: Parameters<typeof judgeRun>[0]['outcome'], noise?: NoiseLearner): DiffRecord {
  const j = judgeRun({
    slice: meta.slice,
    comparison: TICKETS_GET_COMPARISON,
    legacy,
    request,
    outcome,
    ...(noise ? { noise } : {}),
  });
  const r = recordOf(meta, 'TicketV1', j, { keepMatchBodies: false, durationMs: 12.5 });
  return createMasker({ key: KEY }).maskRecord(r);
}
const withoutTime = (r: DiffRecord) => ({ ...r, at: '' });

/** Niceness of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('comparison worker', () => {
  it('judges a mismatch exactly as the main thread does: result class, field diffs, masked record', async () => {
    const o = offload();
    await untilReady(o);
    const outcome = {
      ok: true as const,
      status: 200,
      headers: JSON_TYPE,
      body: ticket(7, { subject: 'Other subject', priority: 'low' }),
    };
    const r = await o.judge({ comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome, durationMs: 12.5 });
    const expected = here(outcome);
    expect(r.result).toBe('value_mismatch');
    expect(expected.fields.map((f) => f.path).sort()).toEqual(['priority', 'subject']);
    // Encoded in the worker for the store: the same record as JSON, and the fields the store queries by.
    expect(withoutTime(decodeRecord(r.record.json, '') as DiffRecord)).toEqual(withoutTime(expected));
    expect({ ...r.record.meta, fields: [...r.record.meta.fields].sort() }).toMatchObject({
      slice: 'tickets.get',
      result: 'value_mismatch',
      fields: ['priority', 'subject'],
    });
    // Masked in the worker: the requester's e-mail never comes back in clear.
    const email = (JSON.parse(legacy.body?.toString() ?? '{}') as { ticket: { requester?: { email?: string } } }).ticket
      .requester?.email;
    if (email) expect(r.record.json).not.toContain(email);
  });

  it('judges candidate failures and plain string bodies', async () => {
    const o = offload();
    await untilReady(o);
    const timeout = { ok: false as const, timeout: true, error: 'deadline 5000 ms' };
    const t = await o.judge({
      comparison: TICKETS_GET_COMPARISON,
      meta,
      legacy,
      request,
      outcome: timeout,
      durationMs: 5000,
    });
    expect(t.result).toBe('candidate_timeout');
    expect(decodeRecord(t.record.json, '')?.error).toBe('deadline 5000 ms');
    const same = { ok: true as const, status: 200, headers: JSON_TYPE, body: (legacy.body as Buffer).toString() };
    expect(
      (await o.judge({ comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome: same, durationMs: 1 }))
        .result,
    ).toBe('match');
  });

  it('holds finished runs for a batch: posted together when batchMax wait, rejected if closed first', async () => {
    const o = offload({ batchMs: 60_000, batchMax: 3 });
    await untilReady(o);
    const fail = { ok: false as const, timeout: false, error: 'boom' };
    const job = { comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome: fail, durationMs: 1 };
    const settled: string[] = [];
    const first = [o.judge(job), o.judge(job)].map((p) => p.then((r) => settled.push(r.result)));
    // Two of three: still held (the batch timer is a minute away).
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toEqual([]);
    const third = o.judge(job);
    await Promise.all([...first, third]);
    expect(settled).toEqual(['candidate_error', 'candidate_error']);
    expect((await third).result).toBe('candidate_error');
    // A held run whose offload closes is rejected (the runner then judges it on the main thread).
    const held = expect(o.judge(job)).rejects.toThrow(/closed/);
    await o.close();
    await held;
  });

  it("sees the main thread's learned noise: a learned path is shown apart, and the run is a match", async () => {
    const noise = learner();
    noise.observe('tickets.get', ['subject']);
    noise.observe('tickets.get', ['subject']);
    expect(noise.noiseOf('tickets.get', 'subject')).toBe('learned');
    const o = offload({ noise });
    await untilReady(o);
    const outcome = {
      ok: true as const,
      status: 200,
      headers: JSON_TYPE,
      body: ticket(7, { subject: 'Other subject' }),
    };
    const r = await o.judge({ comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome, durationMs: 1 });
    expect(r.result).toBe('match');
    expect(decodeRecord(r.record.json, '')?.noise.map((f) => [f.path, f.noise])).toEqual([['subject', 'learned']]);
    // QA rejects the learned path: the next run sees it as a real difference again.
    noise.decide('tickets.get', 'subject', { action: 'reject', reason: 'subject must not change', by: 'qa' });
    const again = await o.judge({ comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome, durationMs: 1 });
    expect(again.result).toBe('value_mismatch');
  });

  it('takes noise samples: the paths two legacy answers differ on', async () => {
    const o = offload();
    await untilReady(o);
    const again: LegacyCapture = { ...legacy, body: ticket(7, { updated_at: '2031-01-01T00:00:00Z' }) };
    const paths = await o.noisePaths({
      comparison: TICKETS_GET_COMPARISON,
      slice: 'tickets.get',
      first: legacy,
      again,
    });
    expect(paths).toEqual(['updatedAt']);
  });

  it('runs at niceness 19, and only that thread', async () => {
    const before = threadNices().filter((n) => n === 19).length;
    const o = offload();
    await untilReady(o);
    expect(threadNices().filter((n) => n === 19).length).toBe(before + 1);
  });

  it('is reniced by the thread that starts it, before any code of its own could renice it', () => {
    // This worker never touches its priority: only offload.ts's renice right after `new Worker` can make it 19.
    const dir = mkdtempSync(join(tmpdir(), 'gw-worker-'));
    const file = join(dir, 'idle-worker.mjs');
    writeFileSync(file, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => {});\n");
    const before = threadNices().filter((n) => n === 19).length;
    const o = offload({ workerUrl: pathToFileURL(file) });
    o.warm();
    expect(threadNices().filter((n) => n === 19).length).toBe(before + 1);
  });

  it('does not take comparisons it cannot rebuild by name (they are judged on the main thread)', async () => {
    const o = offload();
    await untilReady(o, null);
    expect(o.accepts(null)).toBe(true);
    expect(o.accepts({ ...TICKETS_GET_COMPARISON })).toBe(false);
  });
});

describe('comparison worker failures', () => {
  /** A worker that says it is ready, then dies on its first job. */
  function dyingWorker(): URL {
    const dir = mkdtempSync(join(tmpdir(), 'gw-worker-'));
    const file = join(dir, 'dying-worker.mjs');
    writeFileSync(
      file,
      "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ ready: true });\nparentPort.on('message', () => process.exit(7));\n",
    );
    return pathToFileURL(file);
  }
  const outcome = { ok: true as const, status: 200, headers: JSON_TYPE, body: ticket(7) };

  it('rejects the jobs of a worker that died, restarts it, and gives up after maxCrashes', async () => {
    const o = offload({ workerUrl: dyingWorker(), maxCrashes: 2 });
    await untilReady(o);
    await expect(
      o.judge({ comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome, durationMs: 1 }),
    ).rejects.toThrow(/exited with code 7/);
    await untilReady(o);
    await expect(
      o.judge({ comparison: TICKETS_GET_COMPARISON, meta, legacy, request, outcome, durationMs: 1 }),
    ).rejects.toThrow(/exited with code 7/);
    expect(o.accepts(TICKETS_GET_COMPARISON)).toBe(false);
  });

  it('a run whose worker died is judged on the main thread: compared, counted and stored all the same', async () => {
    const o = offload({ workerUrl: dyingWorker(), maxCrashes: 5 });
    await untilReady(o);
    const metrics = createMetrics({ defaultMetrics: false });
    const store = createMemoryDiffStore();
    const runner = createShadowRunner({
      maxConcurrent: 4,
      deadlineMs: 1_000,
      sampleRate: 1,
      cpuBudget: 1,
      metrics,
      logger,
      store,
      masker: createMasker({ key: KEY }),
      noise: learner(),
      secondary: { enabled: false, warmup: 0, sampleRate: 0 },
      keepMatchBodies: false,
      offload: o,
    });
    expect(runner.admit('tickets.get')).toBe(true);
    runner.run({
      ...meta,
      legacy,
      request,
      comparison: TICKETS_GET_COMPARISON,
      candidate: async () => ({ answer: { status: 200, headers: JSON_TYPE, body: ticket(7, { priority: 'low' }) } }),
    });
    await runner.close();
    const page = await store.list({});
    expect(page.items.map((r) => [r.result, r.fields.map((f) => f.path)])).toEqual([['value_mismatch', ['priority']]]);
    const counted = (await metrics.registry.getSingleMetric('gateway_shadow_comparisons_total')?.get())?.values ?? [];
    expect(counted.map((v) => [v.labels.result, v.value])).toEqual([['value_mismatch', 1]]);
  });
});
