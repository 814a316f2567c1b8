import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ResultClass } from '../shadow/types.js';
import type { RollingCounters, Totals } from '../state/rolling.js';
import type { StateStore } from '../state/types.js';
import type { FallbackReason } from './plan.js';
import type { RouteRuntime } from './run.js';
import type { SliceStats } from './stats.js';

/** Fallback reasons that mean the new path degraded (handoffs and budgets are by design, not degradation). */
const DEGRADED: ReadonlySet<FallbackReason> = new Set([
  'timeout',
  'error',
  'status_5xx',
  'contract_invalid',
  'breaker_open',
]);

export type Verdict = 'healthy' | 'inconclusive' | 'tripped' | 'pinned' | 'disabled';

export interface SliceHealth {
  slice: string;
  verdict: Verdict;
  windowMinutes: number;
  /** New-path attempts in the window, less those whose fallback found legacy failing too. */
  attempts: number;
  degradedFallbacks: number;
  /** Degraded fallbacks left out because legacy's own answer failed as well (legacy outage, not the new path). */
  legacyFailedFallbacks: number;
  fallbackRate: number | null;
  comparisons: number;
  mismatches: number;
  mismatchRate: number | null;
  /** Which rule tripped (when tripped). */
  rule: 'fallback_rate' | 'mismatch_rate' | null;
  thresholds: { minRequests: number; maxFallbackRate: number; maxMismatchRate: number };
  /** `shared`: summed over all replicas (Redis); `local`: this replica only (Redis unreachable or not configured). */
  source: 'shared' | 'local';
  evaluatedAt: string;
}

/** The shadow runner reports every comparison here (rolling counters of the mismatch rule and the charts). */
export function countComparison(rolling: RollingCounters, slice: string, result: ResultClass): void {
  rolling.add(slice, 'comparisons');
  if (result !== 'match') rolling.add(slice, 'mismatches');
  if (result === 'candidate_error' || result === 'candidate_timeout') rolling.add(slice, 'candidate_failures');
}

export interface SliceMonitor {
  health(slice: string): SliceHealth | undefined;
  /** Samples counters now and evaluates every slice (tests and the admin API call it; the timer does too). */
  tick(): Promise<void>;
  rolling: RollingCounters;
  close(): Promise<void>;
}

/**
 * Feeds the rolling per-minute counters from each slice's in-process stats (sampled every second, so the request
 * path only increments plain numbers) and evaluates the automatic pin-back rule: a slice whose degraded-fallback
 * rate or shadow mismatch rate is above its threshold over the window, with at least `minRequests` in the window,
 * is pinned to legacy with reason `auto_rollback` — once across all replicas (StateStore.pinIfAbsent), with an
 * audit entry, a metric and a log line. Too little traffic is `inconclusive`, never healthy. Un-pinning is a person's.
 */
export function createSliceMonitor(opts: {
  config: Config['rollback'];
  runtimes: readonly RouteRuntime[];
  rolling: RollingCounters;
  state: StateStore;
  metrics: Metrics;
  logger: Logger;
  sampleMs?: number;
}): SliceMonitor {
  const { rolling, state, metrics, logger } = opts;
  type Sample = {
    attempts: number;
    requests: number;
    fallbacks: Partial<Record<string, number>>;
    legacyFailed: Partial<Record<string, number>>;
  };
  const last = new Map<string, Sample>();
  const health = new Map<string, SliceHealth>();
  const slices = [...new Set(opts.runtimes.map((r) => r.spec.slice))];
  let lastEval = 0;
  let running: Promise<void> | null = null;

  function sample(): void {
    const bySlice = new Map<string, SliceStats[]>();
    for (const rt of opts.runtimes) bySlice.set(rt.spec.slice, [...(bySlice.get(rt.spec.slice) ?? []), rt.stats]);
    for (const [slice, list] of bySlice) {
      const now: Sample = { attempts: 0, requests: 0, fallbacks: {}, legacyFailed: {} };
      for (const s of list) {
        now.attempts += s.newAttempts;
        now.requests += s.requests;
        for (const [r, n] of Object.entries(s.fallbacks)) now.fallbacks[r] = (now.fallbacks[r] ?? 0) + (n ?? 0);
        for (const [r, n] of Object.entries(s.legacyFailed)) {
          now.legacyFailed[r] = (now.legacyFailed[r] ?? 0) + (n ?? 0);
        }
      }
      const prev = last.get(slice) ?? { attempts: 0, requests: 0, fallbacks: {}, legacyFailed: {} };
      if (now.requests > prev.requests) rolling.add(slice, 'requests', now.requests - prev.requests);
      if (now.attempts > prev.attempts) rolling.add(slice, 'attempts', now.attempts - prev.attempts);
      for (const [r, n] of Object.entries(now.fallbacks)) {
        const d = (n ?? 0) - (prev.fallbacks[r] ?? 0);
        if (d <= 0) continue;
        rolling.add(slice, `fb:${r}`, d);
        if (!DEGRADED.has(r as FallbackReason)) continue;
        const lf = Math.min(d, (now.legacyFailed[r] ?? 0) - (prev.legacyFailed[r] ?? 0));
        if (d > lf) rolling.add(slice, 'fallbacks', d - lf);
        if (lf > 0) rolling.add(slice, 'legacy_failed', lf);
      }
      last.set(slice, now);
    }
  }

  function ruleFor(slice: string) {
    const c = opts.config;
    const o = c.slices[slice] ?? {};
    return {
      enabled: o.enabled ?? c.enabled,
      windowMinutes: o.windowMinutes ?? c.windowMinutes,
      minRequests: o.minRequests ?? c.minRequests,
      maxFallbackRate: o.maxFallbackRate ?? c.maxFallbackRate,
      maxMismatchRate: o.maxMismatchRate ?? c.maxMismatchRate,
    };
  }

  async function evaluate(slice: string): Promise<void> {
    const rule = ruleFor(slice);
    const { totals, source } = await rolling.window(slice, rule.windowMinutes);
    const n = (t: Totals, k: string) => t[k] ?? 0;
    const legacyFailed = n(totals, 'legacy_failed');
    const attempts = Math.max(0, n(totals, 'attempts') - legacyFailed);
    const degraded = n(totals, 'fallbacks');
    const comparisons = n(totals, 'comparisons');
    const mismatches = n(totals, 'mismatches');
    const fallbackRate = attempts ? degraded / attempts : null;
    const mismatchRate = comparisons ? mismatches / comparisons : null;
    const fbTripped = attempts >= rule.minRequests && (fallbackRate ?? 0) > rule.maxFallbackRate;
    const mmTripped = comparisons >= rule.minRequests && (mismatchRate ?? 0) > rule.maxMismatchRate;
    const pinned = state.getPin(slice);
    const verdict: Verdict = !rule.enabled
      ? 'disabled'
      : pinned
        ? 'pinned'
        : fbTripped || mmTripped
          ? 'tripped'
          : attempts >= rule.minRequests || comparisons >= rule.minRequests
            ? 'healthy'
            : 'inconclusive';
    const ruleName = fbTripped ? 'fallback_rate' : mmTripped ? 'mismatch_rate' : null;
    health.set(slice, {
      slice,
      verdict,
      windowMinutes: rule.windowMinutes,
      attempts,
      degradedFallbacks: degraded,
      legacyFailedFallbacks: legacyFailed,
      fallbackRate,
      comparisons,
      mismatches,
      mismatchRate,
      rule: ruleName,
      thresholds: {
        minRequests: rule.minRequests,
        maxFallbackRate: rule.maxFallbackRate,
        maxMismatchRate: rule.maxMismatchRate,
      },
      source,
      evaluatedAt: new Date().toISOString(),
    });
    if (verdict !== 'tripped' || !ruleName) return;
    const pct = (x: number | null) => `${((x ?? 0) * 100).toFixed(1)} %`;
    const note =
      ruleName === 'fallback_rate'
        ? `fallback rate ${pct(fallbackRate)} > ${pct(rule.maxFallbackRate)} over ${rule.windowMinutes} min (${attempts} requests)`
        : `mismatch rate ${pct(mismatchRate)} > ${pct(rule.maxMismatchRate)} over ${rule.windowMinutes} min (${comparisons} comparisons)`;
    const at = new Date().toISOString();
    const made = await state.pinIfAbsent({ slice, reason: 'auto_rollback', by: 'auto-rollback', at, note });
    if (!made) return;
    metrics.autoRollbacks.labels(slice, ruleName).inc();
    metrics.slicePinned.labels(slice, 'auto_rollback').set(1);
    await state.appendAudit({
      at,
      actor: 'auto-rollback',
      role: 'system',
      action: 'pin',
      slice,
      reason: 'auto_rollback',
      note,
    });
    logger.error({ slice, rule: ruleName, note, source }, 'auto rollback: slice pinned to legacy');
    health.set(slice, { ...(health.get(slice) as SliceHealth), verdict: 'pinned' });
  }

  async function tick(): Promise<void> {
    sample();
    const t = Date.now();
    if (t - lastEval < opts.config.evaluateEveryMs && lastEval !== 0) return;
    lastEval = t;
    await rolling.flush();
    for (const slice of slices) {
      try {
        await evaluate(slice);
      } catch (err) {
        logger.warn({ slice, err }, 'auto-rollback evaluation failed');
      }
    }
  }
  const timer = setInterval(() => {
    running ??= tick().finally(() => {
      running = null;
    });
  }, opts.sampleMs ?? 1_000);
  timer.unref();

  return {
    health: (slice) => health.get(slice),
    tick: () => {
      lastEval = 0;
      return tick();
    },
    rolling,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
