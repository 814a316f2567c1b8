import type { ClientFeaturesResponse } from 'unleash-client';
import type { FlagDefinitionSummary } from './provider.js';

type FeatureInterface = ClientFeaturesResponse['features'][number];

/** Which strategy parameter holds the percentage, for the built-in rollout strategies. */
const PERCENT_PARAM: Readonly<Record<string, string>> = {
  flexibleRollout: 'rollout',
  gradualRolloutUserId: 'percentage',
  gradualRolloutSessionId: 'percentage',
  gradualRolloutRandom: 'percentage',
};

function strategyPercent(name: string, parameters: Record<string, unknown> | undefined): number | null {
  if (name === 'default') return 100;
  const param = PERCENT_PARAM[name];
  if (param === undefined) return null;
  const raw = parameters?.[param];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : null;
}

/**
 * Summarises a toggle as Unleash evaluates it: no strategies means on for everyone (100); otherwise the largest
 * percentage among unconstrained rollout strategies. `enabled` is reported separately, so a switched-off flag still
 * shows its configured rollout (its effective share is 0).
 */
export function summarizeFeature(feature: FeatureInterface): FlagDefinitionSummary {
  const strategies = feature.strategies ?? [];
  let percent: number | null = strategies.length === 0 ? 100 : null;
  let constrained = false;
  let selectsAll = strategies.length === 0;
  for (const s of strategies) {
    const hasConditions = (s.constraints?.length ?? 0) > 0 || (s.segments?.length ?? 0) > 0;
    if (hasConditions) {
      constrained = true;
      continue;
    }
    const p = strategyPercent(s.name, s.parameters);
    // A custom strategy decides per request on grounds we cannot summarise: treat it as a condition.
    if (p === null) constrained = true;
    else if (percent === null || p > percent) percent = p;
    if (p === 100 && contextFree(s.name, s.parameters)) selectsAll = true;
  }
  const everyone =
    feature.enabled === true && Array.isArray(feature.strategies) && selectsAll && !(feature.dependencies?.length ?? 0);
  return { name: feature.name, enabled: feature.enabled, rolloutPercent: percent, constrained, everyone };
}

/**
 * Whether a strategy at 100 % selects a request without reading its context. `gradualRolloutUserId`/`SessionId`
 * and `flexibleRollout` sticky on a named field say no to a request that lacks the field.
 */
function contextFree(name: string, parameters: Record<string, unknown> | undefined): boolean {
  if (name === 'default' || name === 'gradualRolloutRandom') return true;
  if (name !== 'flexibleRollout') return false;
  const stickiness = parameters?.stickiness;
  return stickiness === undefined || stickiness === '' || stickiness === 'default' || stickiness === 'random';
}
