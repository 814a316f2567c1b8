/**
 * Pure edits of a client-features document (the flags file), for `gateway flags …`: set a flag's rollout or switch
 * it on/off. Unknown fields and other flags are kept as they are.
 */
export interface ClientFeaturesDoc {
  version: number;
  features: FeatureDoc[];
  segments?: unknown[];
  [key: string]: unknown;
}

interface StrategyDoc {
  name: string;
  parameters?: Record<string, unknown>;
  constraints?: unknown[];
  [key: string]: unknown;
}

interface FeatureDoc {
  name: string;
  enabled: boolean;
  strategies: StrategyDoc[];
  [key: string]: unknown;
}

export type FlagChange = { enabled: boolean } | { rollout: number };

export function emptyDoc(): ClientFeaturesDoc {
  return { version: 2, features: [], segments: [] };
}

/** Returns a new document with the change applied; creates the flag (flexibleRollout, default stickiness) if needed. */
export function applyFlagChange(doc: ClientFeaturesDoc, name: string, change: FlagChange): ClientFeaturesDoc {
  const features: FeatureDoc[] = doc.features.map((f) => ({ ...f, strategies: f.strategies.map((s) => ({ ...s })) }));
  let feature: FeatureDoc | undefined = features.find((f) => f.name === name);
  if (!feature) {
    const created: FeatureDoc = {
      name,
      type: 'release',
      project: 'default',
      enabled: false,
      impressionData: false,
      variants: [],
      strategies: [],
    };
    features.push(created);
    feature = created;
  }
  if ('enabled' in change) {
    feature.enabled = change.enabled;
    if (change.enabled && feature.strategies.length === 0) feature.strategies.push(rolloutStrategy(name, 100));
  } else {
    if (!(change.rollout >= 0 && change.rollout <= 100))
      throw new Error(`rollout must be between 0 and 100, got ${change.rollout}`);
    let strategy = feature.strategies.find((s) => s.name === 'flexibleRollout');
    if (!strategy) {
      strategy = rolloutStrategy(name, change.rollout);
      feature.strategies.push(strategy);
    }
    strategy.parameters = { ...(strategy.parameters ?? {}), rollout: String(change.rollout) };
    feature.enabled = true;
  }
  return { ...doc, features };
}

function rolloutStrategy(name: string, rollout: number): StrategyDoc {
  return {
    name: 'flexibleRollout',
    constraints: [],
    variants: [],
    parameters: { rollout: String(rollout), stickiness: 'default', groupId: name },
  };
}
