import type { Pool } from 'undici';
import type { FlagProvider } from '../flags/provider.js';
import type { LegacyHttp } from '../legacy-adapters/http.js';
import type { Adapters, RouteSpec } from '../routes/types.js';
import type { AiEngine } from './ai/engine.js';
import type { Config } from './config.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { FlagGate } from './pipeline/flags.js';
import type { createPassthrough } from './proxy/passthrough.js';
import type { createPublicOrigin } from './proxy/public-origin.js';
import type { OriginRewriter } from './proxy/rewrite.js';
import type { createTunneler } from './proxy/websocket.js';
import type { ShadowRunner } from './shadow/runner.js';
import type { StateStore } from './state/types.js';

/** Everything built once at boot (src/compose.ts) and handed to the app. Closed in reverse order by closeDeps. */
export interface Deps {
  config: Config;
  ai: AiEngine;
  logger: Logger;
  metrics: Metrics;
  flagProvider: FlagProvider;
  flags: FlagGate;
  state: StateStore;
  legacyPool: Pool;
  /** One pool per legacy system. */
  legacyHttp: Record<'ticketing' | 'orders' | 'conversations' | 'crm', LegacyHttp>;
  adapters: Adapters;
  rewriter: OriginRewriter | null;
  passthrough: ReturnType<typeof createPassthrough>;
  tunneler: ReturnType<typeof createTunneler>;
  publicOrigin: ReturnType<typeof createPublicOrigin>;
  shadow: ShadowRunner;
  routes: readonly RouteSpec[];
}
