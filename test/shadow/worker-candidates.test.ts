import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../legacy-adapters/simulator/server.js';
import type { Simulator } from '../../legacy-adapters/simulator/types.js';
import { TICKETS_CREATE_COMPARISON, TICKETS_GET_COMPARISON } from '../../routes/comparisons.js';
import type { SliceRequest } from '../../routes/types.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { LegacyCapture } from '../../src/shadow/judge.js';
import { createMasker } from '../../src/shadow/mask.js';
import { createNoiseLearner } from '../../src/shadow/noise.js';
import { type CompareOffload, createCompareOffload } from '../../src/shadow/offload.js';
import type { RouteRef } from '../../src/shadow/remote-routes.js';
import { createShadowRunner, type ShadowJob } from '../../src/shadow/runner.js';
import { createMemoryDiffStore } from '../../src/shadow/store/memory.js';
import type { SliceComparison } from '../../src/shadow/types.js';

/**
 * Shadow candidates of route slices run in the comparison worker (dist/, `npm test` builds first): the worker loads
 * the route table itself, reads legacy through pools of its own, runs writes dry, and judges there; the thread that
 * serves clients only posts the run. Whatever the worker cannot do, the main thread does as before.
 */
const KEY = 'k'.repeat(32);
const logger = createLogger({ level: 'silent' });
const FIXTURE = new URL('../fixtures/routes/worker-routes.mjs', import.meta.url).href;
const route = (id: string, arg: Record<string, unknown> = {}): RouteRef => ({
  table: { module: FIXTURE, export: 'workerRoutes', arg },
  id,
});

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim.close();
});

const open: CompareOffload[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  sim.reset();
});

async function setup(opts: { legacy?: boolean; deadlineMs?: number } = {}) {
  const o = createCompareOffload({
    maskKey: KEY,
    maskFreeText: 'hash',
    keepMatchBodies: false,
    noise: createNoiseLearner({ minSamples: 2, minRate: 0.5, defaultAcceptDays: 30 }),
    logger,
    ...(opts.legacy === false
      ? {}
      : {
          legacy: { url: sim.url, systems: {}, connectTimeoutMs: 2_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 },
        }),
  });
  if (!o) throw new Error('dist/src/shadow/compare-worker.js is missing: run `npm run build`');
  open.push(o);
  const t0 = Date.now();
  while (!o.accepts(TICKETS_GET_COMPARISON)) {
    if (Date.now() - t0 > 15_000) throw new Error('worker not ready in 15 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const metrics = createMetrics({ defaultMetrics: false });
  const store = createMemoryDiffStore();
  const gaps: number[] = [];
  const runner = createShadowRunner({
    maxConcurrent: 8,
    deadlineMs: opts.deadlineMs ?? 2_000,
    sampleRate: 1,
    cpuBudget: 1,
    metrics,
    logger,
    store,
    masker: createMasker({ key: KEY }),
    noise: createNoiseLearner({ minSamples: 2, minRate: 0.5, defaultAcceptDays: 30 }),
    secondary: { enabled: false, warmup: 0, sampleRate: 0 },
    keepMatchBodies: false,
    offload: o,
  });
  /** Calls of the main thread's candidate (the fallback when the worker cannot run it). */
  const here = { calls: 0 };
  const skips = async (reason: string) => {
    const m = (await metrics.registry.getSingleMetric('gateway_shadow_skipped_total')?.get())?.values ?? [];
    return m.filter((v) => v.labels.reason === reason).reduce((s, v) => s + v.value, 0);
  };

  /** Shadows one request the way the pipeline does, after legacy (the simulator) answered it. */
  async function shadow(
    slice: string,
    ref: RouteRef,
    comparison: SliceComparison,
    req: { method: string; path: string; body?: unknown },
  ) {
    const body = req.body === undefined ? null : Buffer.from(JSON.stringify(req.body));
    const res = await fetch(sim.url + req.path, {
      method: req.method,
      headers: body ? { 'content-type': 'application/json' } : {},
      ...(body ? { body } : {}),
    });
    const legacy: LegacyCapture = {
      status: res.status,
      headers: { 'content-type': res.headers.get('content-type') ?? '' },
      body: Buffer.from(await res.arrayBuffer()),
    };
    const sreq: SliceRequest = {
      requestId: `r${here.calls}`,
      method: req.method,
      path: req.path,
      url: req.path,
      params: { id: req.path.match(/\/(\d+)(\.json)?$/)?.[1] ?? '' },
      headers: body ? { 'content-type': 'application/json' } : {},
      body,
    };
    const job: ShadowJob = {
      slice,
      route: ref.id,
      requestId: sreq.requestId,
      method: req.method,
      path: req.path,
      tenant: null,
      channel: null,
      replay: null,
      legacy,
      request: { method: req.method, path: req.path, body },
      comparison,
      candidate: async () => {
        here.calls++;
        return { answer: { status: legacy.status, headers: legacy.headers, body: legacy.body as Buffer } };
      },
      remote: { route: ref, request: sreq, forwardHeaders: {}, recordGaps: (n) => gaps.push(n) },
    };
    expect(runner.admit(slice, false)).toBe(true);
    runner.run(job);
    await runner.drain();
  }
  return { o, runner, store, here, skips, shadow };
}

describe('candidates in the comparison worker', () => {
  it("runs a read route's candidate there: its own legacy read, judged there, the main thread's never called", async () => {
    const t = await setup();
    const before = sim.requests().length;
    await t.shadow('tickets.get', route('tickets.get'), TICKETS_GET_COMPARISON, {
      method: 'GET',
      path: '/api/v2/tickets/7.json',
    });
    const page = await t.store.list({});
    expect(page.items.map((r) => r.result)).toEqual(['match']);
    expect(t.here.calls).toBe(0);
    // legacy's own answer (the test's fetch) and the candidate's read, made from the worker
    const seen = sim.requests().slice(before);
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/v2/tickets/7.json',
      'GET /api/v2/tickets/7.json',
    ]);
  });

  it('runs a write route dry there: its intended effect compared with what legacy did, nothing written twice', async () => {
    const t = await setup();
    const body = { ticket: { subject: 'Printer on fire', comment: { body: 'Help' }, requester_id: 1 } };
    await t.shadow('tickets.create', route('tickets.create'), TICKETS_CREATE_COMPARISON, {
      method: 'POST',
      path: '/api/v2/tickets.json',
      body,
    });
    const page = await t.store.list({});
    expect(page.items.map((r) => r.result)).toEqual(['match']);
    expect(page.items[0]?.candidate.effects?.length).toBe(1);
    expect(sim.writes()).toHaveLength(1);
    expect(t.here.calls).toBe(0);
  });

  it('records a failing candidate as candidate_error and a slow one as candidate_timeout', async () => {
    const t = await setup({ deadlineMs: 150 });
    await t.shadow('tickets.get', route('tickets.get', { fail: true }), TICKETS_GET_COMPARISON, {
      method: 'GET',
      path: '/api/v2/tickets/7.json',
    });
    sim.setFaults({ mode: 'slow', delayMs: 1_000 });
    await t.shadow('tickets.get', route('tickets.get'), TICKETS_GET_COMPARISON, {
      method: 'GET',
      path: '/api/v2/tickets/8.json',
    });
    const page = await t.store.list({});
    expect(page.items.map((r) => r.result).sort()).toEqual(['candidate_error', 'candidate_timeout']);
    expect(t.here.calls).toBe(0);
  });

  it('skips a run as overload when the worker was starved past the deadline, instead of blaming the candidate', async () => {
    const t = await setup({ deadlineMs: 100 });
    await t.shadow('tickets.get', route('tickets.get', { blockMs: 400 }), TICKETS_GET_COMPARISON, {
      method: 'GET',
      path: '/api/v2/tickets/7.json',
    });
    expect((await t.store.list({})).items).toEqual([]);
    expect(await t.skips('overload')).toBe(1);
  });

  it('runs the candidate on the main thread when the worker cannot load the route, and does not try again', async () => {
    const t = await setup();
    const missing: RouteRef = {
      table: { module: `${FIXTURE}-missing.mjs`, export: 'workerRoutes' },
      id: 'tickets.get',
    };
    for (const n of [7, 8]) {
      await t.shadow('tickets.get', missing, TICKETS_GET_COMPARISON, {
        method: 'GET',
        path: `/api/v2/tickets/${n}.json`,
      });
    }
    expect(t.here.calls).toBe(2);
    expect((await t.store.list({})).items.map((r) => r.result)).toEqual(['match', 'match']);
    expect(t.o.acceptsRun(missing, TICKETS_GET_COMPARISON)).toBe(false);
    expect(t.o.acceptsRun(route('tickets.get'), TICKETS_GET_COMPARISON)).toBe(true);
  });

  it('leaves candidates on the main thread when the worker has no legacy settings (it only judges)', async () => {
    const t = await setup({ legacy: false });
    await t.shadow('tickets.get', route('tickets.get'), TICKETS_GET_COMPARISON, {
      method: 'GET',
      path: '/api/v2/tickets/7.json',
    });
    expect(t.here.calls).toBe(1);
    expect((await t.store.list({})).items.map((r) => r.result)).toEqual(['match']);
  });
});
