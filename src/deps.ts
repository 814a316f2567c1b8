import type { Pool } from 'undici';
import type { FlagProvider } from '../flags/provider.js';
import type { LegacyHttp, PrimedRead } from '../legacy-adapters/http.js';
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
import type { Masker } from './shadow/mask.js';
import type { NoiseLearner } from './shadow/noise.js';
import type { Recorder } from './shadow/recorder.js';
import type { LegacyCapture, ShadowRunner } from './shadow/runner.js';
import type { DiffStore } from './shadow/types.js';
import type { RedisClient } from './state/redis-client.js';
import type { RollingCounters } from './state/rolling.js';
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
  /** The adapters with one read answered from memory (shadow candidates, `shadow.primedReads`); absent: never. */
  primedAdapters?: (read: PrimedRead, onHit: () => void) => Adapters;
  rewriter: OriginRewriter | null;
  passthrough: ReturnType<typeof createPassthrough>;
  tunneler: ReturnType<typeof createTunneler>;
  publicOrigin: ReturnType<typeof createPublicOrigin>;
  shadow: ShadowRunner;
  diffStore: DiffStore;
  noise: NoiseLearner;
  /** Per-minute per-slice counters (pin-back rule, charts); shared through Redis when configured. */
  rolling: RollingCounters;
  masker: Masker;
  /** Sampled public traffic to masked JSONL (config shadow.record.file), or null. */
  recorder: Recorder | null;
  /** The shared Redis connection (REDIS_URL), or null for the embedded in-memory state. */
  redis: RedisClient | null;
  /** Asks legacy an idempotent read again (shadow noise learning). */
  legacyAgain(method: string, url: string, headers: string[], signal: AbortSignal): Promise<LegacyCapture>;
  routes: readonly RouteSpec[];
}
