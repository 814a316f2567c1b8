import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createBreaker } from '../../src/pipeline/breaker.js';
import { createSliceMonitor, type SliceMonitor } from '../../src/pipeline/rollback.js';
import type { RouteRuntime } from '../../src/pipeline/run.js';
import { createSliceStats } from '../../src/pipeline/stats.js';
import { createMemoryState } from '../../src/state/memory.js';
import { createRollingCounters } from '../../src/state/rolling.js';

const monitors: SliceMonitor[] = [];
afterEach(async () => {
  for (const m of monitors.splice(0)) await m.close();
});

function setup(rollback: Record<string, unknown> = {}) {
  const config = loadConfig({ env: {}, overrides: { rollback: { minRequests: 100, ...rollback } } }).rollback;
  const rt: RouteRuntime = {
    spec: { id: 'tickets.get', slice: 'tickets.get', method: 'GET', paths: [], description: '', deadlineMs: 1_000 },
    deadlineMs: 1_000,
    maxBody: 1_000,
    breaker: createBreaker({ windowMs: 1_000, buckets: 1, errorThresholdPercent: 50, minimumRequests: 1, openMs: 1 }),
    stats: createSliceStats(),
  };
  const state = createMemoryState({ auditLogSize: 10 });
  const monitor = createSliceMonitor({
    config,
    runtimes: [rt],
    rolling: createRollingCounters(),
    state,
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
    sampleMs: 60_000,
  });
  monitors.push(monitor);
  return { stats: rt.stats, state, monitor };
}

describe('automatic pin-back rule', () => {
  it('is inconclusive below the minimum volume even at 100 % fallbacks, and never healthy', async () => {
    const { stats, state, monitor } = setup();
    stats.requests = stats.newAttempts = 99;
    stats.fallbacks.error = 99;
    await monitor.tick();
    expect(monitor.health('tickets.get')).toMatchObject({ verdict: 'inconclusive', attempts: 99 });
    expect(state.getPin('tickets.get')).toBeUndefined();
  });

  it('pins the slice once the degraded-fallback rate is over its threshold with enough requests', async () => {
    const { stats, state, monitor } = setup();
    stats.requests = stats.newAttempts = 200;
    stats.fallbacks.timeout = 11; // 5.5 % > 5 %
    await monitor.tick();
    expect(state.getPin('tickets.get')).toMatchObject({ reason: 'auto_rollback', by: 'auto-rollback' });
    expect(monitor.health('tickets.get')?.verdict).toBe('pinned');
    expect((await state.audit(5)).map((e) => e.reason)).toEqual(['auto_rollback']);
  });

  it('leaves out fallbacks whose legacy answer failed too: a legacy outage does not pin the slice back', async () => {
    const { stats, state, monitor } = setup();
    stats.requests = stats.newAttempts = 300;
    stats.fallbacks.error = 150;
    stats.legacyFailed.error = 150; // legacy was down for these: its own answer was a 502
    stats.fallbacks.timeout = 3; // 1 % of the attempts legacy did answer
    await monitor.tick();
    expect(monitor.health('tickets.get')).toMatchObject({
      verdict: 'healthy',
      attempts: 150,
      degradedFallbacks: 3,
      legacyFailedFallbacks: 150,
    });
    expect(state.getPin('tickets.get')).toBeUndefined();
  });

  it('a per-slice rule can turn the pin-back off for one slice', async () => {
    const { stats, state, monitor } = setup({ slices: { 'tickets.get': { enabled: false } } });
    stats.requests = stats.newAttempts = 500;
    stats.fallbacks.error = 500;
    await monitor.tick();
    expect(monitor.health('tickets.get')?.verdict).toBe('disabled');
    expect(state.getPin('tickets.get')).toBeUndefined();
  });
});
