import type { FlagProvider } from './provider.js';

/**
 * No flag source configured: every flag is off, so every request goes to legacy. Always up and ready; there is
 * nothing to be stale about, so `lastSyncAt` moves with each status read.
 */
export function createNoFlagProvider(): FlagProvider {
  return {
    source: 'none',
    ready: () => Promise.resolve(),
    isEnabled: () => false,
    definition: () => undefined,
    status: () => ({ source: 'none', up: true, ready: true, lastSyncAt: Date.now(), error: null, origin: 'none' }),
    onChange: () => () => {},
    close: () => Promise.resolve(),
  };
}
