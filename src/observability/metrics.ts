import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { TallyHistogram, talliedCounter } from './tally.js';

/**
 * All gateway metrics (DESIGN §8), one Registry per app so tests and replicas in one process never share counters.
 * Label values are a small fixed set: served_by legacy|new, outcome ok|fallback|error, slice = slice id or
 * `passthrough`, route = route id or `passthrough`.
 */
export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'gateway_process_' });
  const registers = [registry];
  return {
    registry,
    // The counters the request path touches are tallied (tally.ts): `.tally(...)` children count locally and are
    // added to the counter when the metrics are read; `.labels(...)` works as usual everywhere else.
    requests: talliedCounter({
      name: 'gateway_requests_total',
      help: 'Requests answered by the gateway, by route, slice, who served them and outcome.',
      labelNames: ['route', 'slice', 'served_by', 'outcome'] as const,
      registers,
    }),
    /** Request path only: children are plain counters (tally.ts), so keep them rather than calling labels() per request. */
    duration: new TallyHistogram({
      name: 'gateway_request_duration_seconds',
      help: 'Time from request start to the end of the response headers+body, by route and who served it.',
      labelNames: ['route', 'served_by'] as const,
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    fallbacks: talliedCounter({
      name: 'gateway_fallbacks_total',
      help: 'Requests the plan sent to the new path that legacy answered instead, by slice and reason.',
      labelNames: ['slice', 'reason'] as const,
      registers,
    }),
    routing: talliedCounter({
      name: 'gateway_routing_decisions_total',
      help: 'Routing decisions per slice: which side the plan chose and why (flag_on, flag_off, kill_switch, pinned, flags_stale, body_too_large).',
      labelNames: ['slice', 'target', 'reason'] as const,
      registers,
    }),
    shadowComparisons: new Counter({
      name: 'gateway_shadow_comparisons_total',
      help: 'Shadow comparisons by slice and result class.',
      labelNames: ['slice', 'result'] as const,
      registers,
    }),
    shadowSkipped: talliedCounter({
      name: 'gateway_shadow_skipped_total',
      help: 'Requests selected for shadowing that were not shadowed, by reason.',
      labelNames: ['slice', 'reason'] as const,
      registers,
    }),
    shadowStoreErrors: new Counter({
      name: 'gateway_shadow_store_errors_total',
      help: 'Diff records that could not be stored (store unreachable or full), by backend.',
      labelNames: ['backend'] as const,
      registers,
    }),
    autoRollbacks: new Counter({
      name: 'gateway_auto_rollbacks_total',
      help: 'Times the automatic pin-back rule pinned a slice to legacy, by slice and rule (fallback_rate, mismatch_rate).',
      labelNames: ['slice', 'rule'] as const,
      registers,
    }),
    stateBackendUp: new Gauge({
      name: 'gateway_state_backend_up',
      help: '1 while the shared state backend (Redis) answers; 0 while the gateway runs on local state. Always 1 for memory.',
      labelNames: ['backend'] as const,
      registers,
    }),
    breakerState: new Gauge({
      name: 'gateway_breaker_state',
      help: 'Circuit breaker state per slice: 0 closed, 1 half-open, 2 open.',
      labelNames: ['slice'] as const,
      registers,
    }),
    mappingGaps: talliedCounter({
      name: 'gateway_mapping_gaps_total',
      help: 'Legacy fields a mapper did not place into the contract (carried through), by slice.',
      labelNames: ['slice'] as const,
      registers,
    }),
    slicePinned: new Gauge({
      name: 'gateway_slice_pinned',
      help: '1 when an admin pin sends the slice to legacy, by slice and pin reason.',
      labelNames: ['slice', 'reason'] as const,
      registers,
    }),
    flagProviderUp: new Gauge({
      name: 'gateway_flag_provider_up',
      help: '1 when the last flag refresh succeeded.',
      registers,
    }),
    flagStaleness: new Gauge({
      name: 'gateway_flag_staleness_seconds',
      help: 'Seconds since the flag state was last confirmed current.',
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'gateway_upstream_errors_total',
      help: 'Calls to legacy that failed before a response (the client got a GW_* problem), by code.',
      labelNames: ['code'] as const,
      registers,
    }),
    aiTokens: new Counter({
      name: 'gateway_ai_tokens_total',
      help: 'LLM tokens spent (input + output), by slice and model.',
      labelNames: ['slice', 'model'] as const,
      registers,
    }),
    aiCost: new Counter({
      name: 'gateway_ai_cost_usd_total',
      help: 'Estimated LLM cost in USD, by slice (configured prices).',
      labelNames: ['slice'] as const,
      registers,
    }),
    aiLlmCalls: new Counter({
      name: 'gateway_ai_llm_calls_total',
      help: 'LLM calls by model and outcome (ok or the failure kind).',
      labelNames: ['model', 'outcome'] as const,
      registers,
    }),
    aiClassifications: new Counter({
      name: 'gateway_ai_classifications_total',
      help: 'Intent classifications by intent, deciding tier and whether they ended in a handoff.',
      labelNames: ['intent', 'tier', 'handoff'] as const,
      registers,
    }),
    aiAnswers: new Counter({
      name: 'gateway_ai_answers_total',
      help: 'Automation outcomes by slice, kind (reply, handoff) and prompt id@version (none when no prompt was used).',
      labelNames: ['slice', 'kind', 'prompt'] as const,
      registers,
    }),
    handoffs: new Counter({
      name: 'gateway_handoffs_total',
      help: 'Handoffs delivered to the legacy agent queue, by slice and reason.',
      labelNames: ['slice', 'reason'] as const,
      registers,
    }),
    websockets: new Gauge({
      name: 'gateway_websocket_tunnels',
      help: 'Open websocket tunnels to legacy.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
