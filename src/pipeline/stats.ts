import type { FallbackReason, RoutingReason } from './plan.js';

/** Per-slice counters since start, for /admin/slices (Prometheus has the time series). */
export interface SliceStats {
  requests: number;
  servedByNew: number;
  servedByLegacy: number;
  /** Requests the plan sent to the new path (the denominator of the fallback rate). */
  newAttempts: number;
  fallbacks: Partial<Record<FallbackReason, number>>;
  /**
   * Fallbacks whose legacy answer failed too (no answer, or 5xx): legacy itself is degraded, so they say nothing
   * about the new path (the automatic pin-back rule leaves them out).
   */
  legacyFailed: Partial<Record<FallbackReason, number>>;
  routing: Partial<Record<RoutingReason, number>>;
  errors: number;
  shadowed: number;
}

export function createSliceStats(): SliceStats {
  return {
    requests: 0,
    servedByNew: 0,
    servedByLegacy: 0,
    newAttempts: 0,
    fallbacks: {},
    legacyFailed: {},
    routing: {},
    errors: 0,
    shadowed: 0,
  };
}

export function fallbackRate(s: SliceStats): { total: number; byReason: Partial<Record<FallbackReason, number>> } {
  const byReason: Partial<Record<FallbackReason, number>> = {};
  let sum = 0;
  for (const [reason, n] of Object.entries(s.fallbacks) as [FallbackReason, number][]) {
    sum += n;
    byReason[reason] = s.newAttempts ? n / s.newAttempts : 0;
  }
  return { total: s.newAttempts ? sum / s.newAttempts : 0, byReason };
}
