import type { FlagContext } from '../../flags/context.js';
import type { FlagLogger } from '../../flags/logger.js';
import type { FlagProvider } from '../../flags/provider.js';

/** The notes' reference rollout: 25 % on this groupId gives 22 of user-1..user-100 (notes §4, §5). */
export const REFERENCE_GROUP = 'route.order-status.new-handler';

export const customers = (n: number): FlagContext[] =>
  Array.from({ length: n }, (_, i) => ({ customerId: `user-${i + 1}` }));

export function countEnabled(provider: FlagProvider, flag: string, contexts: readonly FlagContext[]): number {
  return contexts.filter((ctx) => provider.isEnabled(flag, ctx)).length;
}

/**
 * Resolves once `predicate` holds, checking now and after every onChange; rejects after `timeoutMs` with the last
 * observed value. Returns how long it took.
 */
export function waitForChange(
  provider: FlagProvider,
  predicate: () => boolean,
  timeoutMs: number,
  describe: () => string = () => JSON.stringify(provider.status()),
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`condition not met within ${timeoutMs} ms; last: ${describe()}`));
    }, timeoutMs);
    const check = (): boolean => {
      if (!predicate()) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve(performance.now() - started);
      return true;
    };
    unsubscribe = provider.onChange(() => {
      check();
    });
    check();
  });
}

export interface RecordingLogger extends FlagLogger {
  readonly entries: { level: 'warn' | 'info' | 'error'; obj: object; msg: string }[];
}

export function recordingLogger(): RecordingLogger {
  const entries: RecordingLogger['entries'] = [];
  return {
    entries,
    warn: (obj, msg) => entries.push({ level: 'warn', obj, msg }),
    info: (obj, msg) => entries.push({ level: 'info', obj, msg }),
    error: (obj, msg) => entries.push({ level: 'error', obj, msg }),
  };
}

interface StrategyInput {
  name: string;
  parameters?: Record<string, string>;
  constraints?: { contextName: string; operator: string; values: string[] }[];
}

/** A client-features document, as Unleash serves it. */
export function featuresDoc(features: { name: string; enabled: boolean; strategies?: StrategyInput[] }[]): {
  version: number;
  features: object[];
} {
  return {
    version: 2,
    features: features.map((f) => ({
      name: f.name,
      enabled: f.enabled,
      type: 'release',
      project: 'default',
      impressionData: false,
      variants: [],
      strategies: (f.strategies ?? []).map((s) => ({ constraints: [], variants: [], parameters: {}, ...s })),
    })),
  };
}

export const rollout = (percent: number, groupId: string, stickiness = 'default'): StrategyInput => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(percent), stickiness, groupId },
});
