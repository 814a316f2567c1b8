/**
 * The routing plan: pure, decided once per request, travels with it (access log, metrics, optional headers).
 * Kill switch, admin pins and stale flags win over flags; a fallback is only ever counted for requests the plan
 * sent to the new path (DESIGN §5), so these routing decisions never trip fallback alerts.
 */
export type Mode = 'legacy' | 'shadow' | 'canary' | 'live';
export type Target = 'legacy' | 'new';
export type RoutingReason = 'kill_switch' | 'pinned' | 'flags_stale' | 'flag_off' | 'flag_on' | 'body_too_large';
export type FallbackReason =
  | 'timeout'
  | 'error'
  | 'status_5xx'
  | 'contract_invalid'
  | 'low_confidence'
  | 'breaker_open'
  | 'budget_exceeded'
  | 'handoff'
  /** The client's request is outside the slice's contract: legacy answers it (not a failure of the new path). */
  | 'request_unmodelled';

export const FALLBACK_REASONS: readonly FallbackReason[] = [
  'timeout',
  'error',
  'status_5xx',
  'contract_invalid',
  'low_confidence',
  'breaker_open',
  'budget_exceeded',
  'handoff',
  'request_unmodelled',
];

export interface PlanInput {
  killSwitch: boolean;
  pinned: boolean;
  /** Flag state is loaded and not older than maxStalenessSeconds. */
  flagsUsable: boolean;
  serve: boolean;
  shadow: boolean;
  /** The serve flag selects everyone (100 %, unconstrained): the slice is live rather than canary. */
  serveIsFull: boolean;
}

export interface Plan {
  target: Target;
  mode: Mode;
  reason: RoutingReason;
  /** Run the new path in the shadow of legacy's answer. */
  shadow: boolean;
}

const LEGACY = (reason: RoutingReason): Plan => ({ target: 'legacy', mode: 'legacy', reason, shadow: false });
const KILLED = LEGACY('kill_switch');
const PINNED = LEGACY('pinned');
const STALE = LEGACY('flags_stale');
const OFF = LEGACY('flag_off');
const SHADOW: Plan = { target: 'legacy', mode: 'shadow', reason: 'flag_off', shadow: true };
const CANARY: Plan = { target: 'new', mode: 'canary', reason: 'flag_on', shadow: false };
const LIVE: Plan = { target: 'new', mode: 'live', reason: 'flag_on', shadow: false };

export function decide(i: PlanInput): Plan {
  if (i.killSwitch) return KILLED;
  if (i.pinned) return PINNED;
  if (!i.flagsUsable) return STALE;
  if (i.serve) return i.serveIsFull ? LIVE : CANARY;
  return i.shadow ? SHADOW : OFF;
}
