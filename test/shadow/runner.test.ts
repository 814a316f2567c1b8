import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createMasker, type Masker } from '../../src/shadow/mask.js';
import { createNoiseLearner } from '../../src/shadow/noise.js';
import { createShadowRunner, type ShadowJob, type ShadowRunnerOptions } from '../../src/shadow/runner.js';
import { createMemoryDiffStore } from '../../src/shadow/store/memory.js';

const SLICE = 'tickets.get';
const body = Buffer.from(JSON.stringify({ ticket: { id: 1, subject: 'Hello' } }));

function job(requestId: string): ShadowJob {
  return {
    slice: SLICE,
    route: SLICE,
    requestId,
    method: 'GET',
    path: '/api/v2/tickets/1.json',
    tenant: null,
    channel: null,
    replay: null,
    legacy: { status: 200, headers: { 'content-type': 'application/json' }, body },
    request: { method: 'GET', path: '/api/v2/tickets/1.json', body: null },
    comparison: null,
    candidate: async () => ({ answer: { status: 200, headers: { 'content-type': 'application/json' }, body } }),
  };
}

/** A runner on a fake clock: masking a record "takes" `maskMs` of it (the step the budget measures). */
function setup(over: Partial<ShadowRunnerOptions> & { maskMs?: number; onMask?: (requestId: string) => void } = {}) {
  let clock = 0;
  const metrics = createMetrics({ defaultMetrics: false });
  const store = createMemoryDiffStore();
  const real = createMasker({ key: 'k'.repeat(32) });
  const masker: Masker = {
    ...real,
    maskRecord: (r) => {
      over.onMask?.(r.requestId);
      clock += over.maskMs ?? 0;
      return real.maskRecord(r);
    },
  };
  const runner = createShadowRunner({
    maxConcurrent: 16,
    deadlineMs: 1_000,
    sampleRate: 1,
    cpuBudget: 1,
    metrics,
    logger: createLogger({ level: 'silent' }),
    store,
    masker,
    noise: createNoiseLearner({ minSamples: 5, minRate: 0.2, defaultAcceptDays: 30 }),
    secondary: { enabled: false, warmup: 0, sampleRate: 0 },
    keepMatchBodies: false,
    now: () => clock,
    ...over,
  });
  const counter = async (name: string, label: string) => {
    const m = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    return m.filter((v) => Object.values(v.labels).includes(label)).reduce((s, v) => s + v.value, 0);
  };
  return { runner, advance: (ms: number) => (clock += ms), counter };
}

async function runAll(runner: ReturnType<typeof setup>['runner'], n: number, prefix: string): Promise<number> {
  let admitted = 0;
  for (let i = 0; i < n; i++) {
    if (!runner.admit(SLICE)) continue;
    admitted++;
    runner.run(job(`${prefix}-${i}`));
  }
  await runner.drain();
  return admitted;
}

describe('shadow runner CPU budget', () => {
  it('skips new shadow runs as overload once its measured work exceeds the budget, and admits again later', async () => {
    // 10 % of the loop = 100 ms per second; each run's measured work takes 60 ms of the fake clock.
    const { runner, advance, counter } = setup({ cpuBudget: 0.1, maskMs: 60 });
    expect(await runAll(runner, 1, 'a')).toBe(1);
    expect(await runAll(runner, 1, 'b')).toBe(1); // 120 ms spent: over one second's allowance
    expect(await runAll(runner, 5, 'c')).toBe(0);
    expect(await counter('gateway_shadow_skipped_total', 'overload')).toBe(5);
    expect(await counter('gateway_shadow_comparisons_total', 'match')).toBe(2);
    // The debt is repaid at 10 % of the time that passes: after 10 s the budget is available again.
    advance(10_000);
    expect(await runAll(runner, 1, 'd')).toBe(1);
    expect(await counter('gateway_shadow_comparisons_total', 'match')).toBe(3);
  });

  it('skips new runs as overload while the event loop is busier than maxLoopUtilization, read every 250 ms', async () => {
    let utilization = 0.95;
    const reads: number[] = [];
    const { runner, advance, counter } = setup({
      maxLoopUtilization: 0.8,
      loopUtilization: () => {
        reads.push(utilization);
        return utilization;
      },
    });
    // The first admission only starts a period (what came before it is start-up), so do the next ones within 250 ms.
    expect(await runAll(runner, 3, 'idle')).toBe(3);
    advance(250);
    expect(await runAll(runner, 4, 'busy')).toBe(0);
    expect(await counter('gateway_shadow_skipped_total', 'overload')).toBe(4);
    utilization = 0.5;
    expect(await runAll(runner, 2, 'still')).toBe(0); // the last reading holds until the next quarter second
    advance(250);
    expect(await runAll(runner, 2, 'quiet')).toBe(2);
    // After more than a second without a reading (start-up, a quiet spell), the next one only starts a new period.
    utilization = 0.99;
    advance(5_000);
    expect(await runAll(runner, 1, 'after-gap')).toBe(1);
    advance(250);
    expect(await runAll(runner, 1, 'busy-again')).toBe(0);
    expect(reads).toEqual([0.95, 0.95, 0.5, 0.99, 0.99]);
    expect(await counter('gateway_shadow_comparisons_total', 'match')).toBe(6);
  });

  it('has no budget at 1 and lets runs that were already admitted finish', async () => {
    const unlimited = setup({ cpuBudget: 1, maskMs: 1_000 });
    expect(await runAll(unlimited.runner, 10, 'x')).toBe(10);
    expect(await unlimited.counter('gateway_shadow_skipped_total', 'overload')).toBe(0);

    const { runner, counter } = setup({ cpuBudget: 0.01, maskMs: 500 });
    // Three admitted before any of them ran: all three are compared, whatever they cost.
    expect([runner.admit(SLICE), runner.admit(SLICE), runner.admit(SLICE)]).toEqual([true, true, true]);
    for (const id of ['p', 'q', 'r']) runner.run(job(id));
    await runner.drain();
    expect(await counter('gateway_shadow_comparisons_total', 'match')).toBe(3);
    expect(runner.admit(SLICE)).toBe(false);
  });

  it('paces admissions per slice at maxRunsPerSecond, skipping the rest as rate, and saves no credit while quiet', async () => {
    const { runner, advance, counter } = setup({ maxRunsPerSecond: 10 });
    // 10 per second: one admission per 100 ms at most, however many slots are free.
    expect([runner.admit(SLICE), runner.admit(SLICE)]).toEqual([true, false]);
    advance(99);
    expect(runner.admit(SLICE)).toBe(false);
    advance(1);
    expect(runner.admit(SLICE)).toBe(true);
    // Another slice has its own pace.
    expect(runner.admit('customers.get')).toBe(true);
    expect(runner.admit('customers.get')).toBe(false);
    // A quiet second does not buy a burst afterwards.
    advance(1_000);
    expect([runner.admit(SLICE), runner.admit(SLICE)]).toEqual([true, false]);
    expect(await counter('gateway_shadow_skipped_total', 'rate')).toBe(4);
    for (let i = 0; i < 4; i++) runner.release();
    expect(runner.inFlight()).toBe(0);
  });

  it('takes no pace token when the concurrency cap refuses, and has no pace at 0', async () => {
    const capped = setup({ maxRunsPerSecond: 10, maxConcurrent: 1 });
    expect(capped.runner.admit(SLICE)).toBe(true);
    capped.advance(100);
    expect(capped.runner.admit(SLICE)).toBe(false); // at the cap: skipped as concurrency, the token stays
    capped.runner.release();
    expect(capped.runner.admit(SLICE)).toBe(true);
    expect(await capped.counter('gateway_shadow_skipped_total', 'concurrency')).toBe(1);
    expect(await capped.counter('gateway_shadow_skipped_total', 'rate')).toBe(0);

    const { runner, counter } = setup({ maxRunsPerSecond: 0 });
    expect(await runAll(runner, 10, 'free')).toBe(10);
    expect(await counter('gateway_shadow_skipped_total', 'rate')).toBe(0);
  });

  it('runs the steps of shadow runs that finish together one per loop iteration, in order', async () => {
    // A chain of immediates counts loop iterations, as client I/O would get served between them.
    let iteration = 0;
    let counting = true;
    const tick = (): void => {
      iteration++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const masked: { id: string; iteration: number }[] = [];
    // A zero slice: one step per iteration whatever the machine's speed (the default lets cheap steps share 2 ms).
    const { runner } = setup({ turnSliceMs: 0, onMask: (id) => masked.push({ id, iteration }) });
    let releaseAll: () => void = () => {};
    const gate = new Promise<void>((r) => {
      releaseAll = r;
    });
    const ids = ['1', '2', '3', '4'];
    for (const id of ids) {
      expect(runner.admit(SLICE)).toBe(true);
      runner.run({
        ...job(id),
        candidate: async () => {
          await gate;
          return { answer: { status: 200, headers: { 'content-type': 'application/json' }, body } };
        },
      });
    }
    // Every candidate answers at the same moment.
    await new Promise((r) => setImmediate(r));
    releaseAll();
    await runner.drain();
    counting = false;
    // First come, first served, and never two of them in the same loop iteration.
    expect(masked.map((m) => m.id)).toEqual(ids);
    for (let i = 1; i < masked.length; i++) {
      expect(masked[i]?.iteration).toBeGreaterThan(masked[i - 1]?.iteration as number);
    }
  });
});
