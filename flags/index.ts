import { createFileFlagProvider } from './file.js';
import type { FlagLogger } from './logger.js';
import { createNoFlagProvider } from './none.js';
import type { FlagProvider } from './provider.js';
import { createUnleashFlagProvider } from './unleash.js';

export type { FlagContext } from './context.js';
export { toUnleashContext } from './context.js';
export { createFileFlagProvider, type FileFlagProviderOptions } from './file.js';
export type { FlagLogger } from './logger.js';
export { KILL_SWITCH, serveFlag, shadowFlag } from './names.js';
export { createNoFlagProvider } from './none.js';
export type { FlagDefinitionSummary, FlagProvider, FlagProviderStatus } from './provider.js';
export { createUnleashFlagProvider, type UnleashFlagProviderOptions } from './unleash.js';

export interface FlagProviderConfig {
  /** Unleash client API base (`…/api/`). Wins over `flagsFile`, which then only bootstraps. */
  unleashUrl?: string;
  /** Backend token for `unleashUrl`. */
  unleashApiToken?: string;
  /** Flags file in Unleash's client-features format. */
  flagsFile?: string;
  appName: string;
  /** Unleash poll interval; default 1000. */
  refreshIntervalMs?: number;
}

/**
 * Picks the flag source (DESIGN §4): an Unleash server when `unleashUrl` is set (the file, if any, bootstraps it),
 * else the file, else none (everything to legacy).
 */
export function createFlagProvider(cfg: FlagProviderConfig, logger?: FlagLogger): FlagProvider {
  if (cfg.unleashUrl !== undefined && cfg.unleashUrl !== '') {
    return createUnleashFlagProvider({
      url: cfg.unleashUrl,
      apiToken: cfg.unleashApiToken ?? '',
      appName: cfg.appName,
      ...(cfg.refreshIntervalMs === undefined ? {} : { refreshIntervalMs: cfg.refreshIntervalMs }),
      ...(cfg.flagsFile === undefined || cfg.flagsFile === '' ? {} : { bootstrapPath: cfg.flagsFile }),
      ...(logger === undefined ? {} : { logger }),
    });
  }
  if (cfg.flagsFile !== undefined && cfg.flagsFile !== '') {
    return createFileFlagProvider({
      path: cfg.flagsFile,
      appName: cfg.appName,
      ...(logger === undefined ? {} : { logger }),
    });
  }
  return createNoFlagProvider();
}
