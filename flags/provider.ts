import type { FlagContext } from './context.js';

/** Health of a flag provider, as read by /readyz, /admin/slices and the flag metrics. */
export interface FlagProviderStatus {
  source: 'file' | 'unleash' | 'none';
  /** The last attempt to refresh the state succeeded (file parsed / server answered). */
  up: boolean;
  /** A first state has been loaded (from the file, the server, or the bootstrap file). */
  ready: boolean;
  /** Epoch ms of the last moment the state was confirmed current; null before the first load. */
  lastSyncAt: number | null;
  /** The last refresh problem, for operators; null when up. */
  error: string | null;
  /** Where the flags come from (file path or server URL), for operators. */
  origin: string;
}

/** Summary of one flag's definition, for the admin view (stage and rollout %). */
export interface FlagDefinitionSummary {
  name: string;
  enabled: boolean;
  /**
   * Share of traffic (0–100) the flag selects when it has no constraints, read from its strategies:
   * `default` = 100, `flexibleRollout`/`gradualRollout*` = their rollout; the largest wins. null when it
   * cannot be summarised as a percentage (e.g. only constrained or custom strategies).
   */
  rolloutPercent: number | null;
  /**
   * True when some strategy carries constraints or segments, or is not a percentage strategy (userWithId, custom):
   * the % then applies only to matching traffic, and requests outside it may still be selected.
   */
  constrained: boolean;
  /**
   * True when Unleash would say yes to every request whatever its context: on, no parent flags, and no strategies or
   * an unconstrained one that selects everyone without reading the context (`default`, or `flexibleRollout` /
   * `gradualRolloutRandom` at 100 % with default or random stickiness). The pipeline then skips the evaluation.
   */
  everyone: boolean;
}

/**
 * The flag port. Evaluation is local and synchronous (unleash-client evaluates from its in-memory repository), so a
 * flag outage never slows or fails a request: the provider keeps its last known state.
 */
export interface FlagProvider {
  readonly source: FlagProviderStatus['source'];
  /** Resolves once a first state is loaded, or after `timeoutMs` (then status().ready is false). Never rejects. */
  ready(timeoutMs: number): Promise<void>;
  /** Evaluates a flag. Unknown flags and a provider that is not ready evaluate to false (legacy). */
  isEnabled(name: string, ctx: FlagContext): boolean;
  /** Definition summary of one flag; undefined when the flag is unknown. */
  definition(name: string): FlagDefinitionSummary | undefined;
  status(): FlagProviderStatus;
  /** Called after every state change (reload, server update). Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
