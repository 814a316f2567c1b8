import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { createFlagProvider } from '../flags/index.js';
import type { FlagProvider } from '../flags/provider.js';
import { createLegacyClients, type LegacyClientSettings } from '../legacy-adapters/clients.js';
import { ROUTE_TABLE } from '../routes/table.js';
import type { RouteSpec } from '../routes/types.js';
import { createAiEngine } from './ai/engine.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';
import { createLogger, type Logger, SECRET_QUERY_PARAMS } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
import { createFlagGate } from './pipeline/flags.js';
import { countComparison } from './pipeline/rollback.js';
import { trustChecker } from './proxy/headers.js';
import { createPassthrough } from './proxy/passthrough.js';
import { createPublicOrigin } from './proxy/public-origin.js';
import { createOriginRewriter } from './proxy/rewrite.js';
import { createTunneler } from './proxy/websocket.js';
import { createMasker } from './shadow/mask.js';
import { createNoiseLearner } from './shadow/noise.js';
import { fileNoisePersistence, redisNoisePersistence } from './shadow/noise-persistence.js';
import { createCompareOffload } from './shadow/offload.js';
import { createRecorder } from './shadow/recorder.js';
import { createShadowRunner } from './shadow/runner.js';
import { createMemoryDiffStore } from './shadow/store/memory.js';
import { createRedisDiffStore } from './shadow/store/redis.js';
import { createMemoryState } from './state/memory.js';
import { createRedisState } from './state/redis.js';
import { createRedisClient } from './state/redis-client.js';
import { createRollingCounters } from './state/rolling.js';

export interface ComposeOptions {
  logger?: Logger;
  /** Replaces the route table (tests inject faulty handlers this way). */
  routes?: readonly RouteSpec[];
  flagProvider?: FlagProvider;
}

/** Builds every dependency once. Nothing here listens on a socket. */
export function composeDeps(config: Config, opts: ComposeOptions = {}): Deps {
  const logger = opts.logger ?? createLogger({ level: config.log.level, redact: config.log.redact });
  const metrics = createMetrics();
  const flagProvider =
    opts.flagProvider ??
    createFlagProvider(
      {
        appName: config.flags.appName,
        refreshIntervalMs: config.flags.refreshIntervalMs,
        ...(config.flags.unleashUrl ? { unleashUrl: config.flags.unleashUrl } : {}),
        ...(config.flags.unleashApiToken ? { unleashApiToken: config.flags.unleashApiToken } : {}),
        ...(config.flags.file ? { flagsFile: config.flags.file } : {}),
      },
      logger.child({ component: 'flags' }),
    );
  const flags = createFlagGate(flagProvider, { maxStalenessSeconds: config.flags.maxStalenessSeconds });
  const legacyUrl = new URL(config.legacy.url);
  const basePath = legacyUrl.pathname.replace(/\/$/, '');
  const legacyPool = new Pool(legacyUrl.origin, {
    connections: config.legacy.connections,
    connectTimeout: config.legacy.connectTimeoutMs,
    headersTimeout: config.legacy.headersTimeoutMs,
    bodyTimeout: config.legacy.bodyTimeoutMs,
    keepAliveTimeout: 4_000,
  });
  // One undici Pool per legacy system (DESIGN §2); each may live at its own origin.
  const legacyClients = createLegacyClients(config.legacy);
  const rewriter = config.legacy.rewriteUrls ? createOriginRewriter(config.legacy.url) : null;
  const trusted = trustChecker(config.trustedProxies);
  const passthrough = createPassthrough({
    dispatcher: legacyPool,
    upstreamHost: legacyUrl.host,
    basePath,
    rewriter,
    maxRewriteBufferBytes: config.legacy.maxRewriteBufferBytes,
    trusted,
  });
  const tunneler = createTunneler({
    host: legacyUrl.hostname.replace(/^\[|\]$/g, ''),
    port: Number(legacyUrl.port || (legacyUrl.protocol === 'https:' ? 443 : 80)),
    upstreamHost: legacyUrl.host,
    basePath,
    connectTimeoutMs: config.legacy.connectTimeoutMs,
    headersTimeoutMs: config.legacy.headersTimeoutMs,
    trusted,
    onOpen: () => metrics.websockets.inc(),
    onClose: () => metrics.websockets.dec(),
    onError: (err) => metrics.upstreamErrors.labels(err.code).inc(),
  });
  const publicOrigin = createPublicOrigin({ publicUrl: config.publicUrl, allowedHosts: config.allowedHosts });
  const redis = config.redisUrl ? createRedisClient(config.redisUrl) : null;
  if (redis) {
    redis.on('error', () => {}); // reported by the state backend's health (metric + log), not per failed command
    redis.connect().catch(() => {});
  }
  const prefix = config.redisPrefix;
  const stateUp = metrics.stateBackendUp.labels(redis ? 'redis' : 'memory');
  stateUp.set(redis ? 0 : 1);
  const state = redis
    ? createRedisState({
        redis,
        prefix,
        auditLogSize: config.admin.auditLogSize,
        logger: logger.child({ component: 'state' }),
        onHealth: (up) => stateUp.set(up ? 1 : 0),
      })
    : createMemoryState({ auditLogSize: config.admin.auditLogSize });
  const rolling = createRollingCounters({ redis, prefix });
  const maskKey = config.shadow.maskKey ?? randomBytes(32);
  const masker = createMasker({ key: maskKey, freeText: config.shadow.maskFreeText });
  const diffStore = redis
    ? createRedisDiffStore({ redis, prefix, cap: config.shadow.store.cap })
    : createMemoryDiffStore({ cap: config.shadow.store.cap, maxBytes: config.shadow.store.maxBytes });
  const noise = createNoiseLearner({
    minSamples: config.shadow.noise.minSamples,
    minRate: config.shadow.noise.minRate,
    defaultAcceptDays: config.shadow.noise.acceptDays,
    persistence: redis
      ? redisNoisePersistence(redis, prefix)
      : config.shadow.noise.file
        ? fileNoisePersistence(config.shadow.noise.file)
        : null,
    onError: (err, op) => logger.warn({ err, op }, 'learned noise could not be persisted'),
  });
  const shadow = createShadowRunner({
    maxConcurrent: config.shadow.maxConcurrent,
    deadlineMs: config.shadow.deadlineMs,
    sampleRate: config.shadow.sampleRate,
    cpuBudget: config.shadow.cpuBudget,
    maxLoopUtilization: config.shadow.maxLoopUtilization,
    maxRunsPerSecond: config.shadow.maxRunsPerSecond,
    metrics,
    logger,
    store: diffStore,
    masker,
    noise,
    secondary: {
      enabled: config.shadow.noise.secondary,
      warmup: config.shadow.noise.warmup,
      sampleRate: config.shadow.noise.sampleRate,
    },
    keepMatchBodies: config.shadow.store.keepMatchBodies,
    offload: config.shadow.worker
      ? createCompareOffload({
          maskKey,
          maskFreeText: config.shadow.maskFreeText,
          keepMatchBodies: config.shadow.store.keepMatchBodies,
          batchMs: config.shadow.workerBatchMs,
          ...(config.shadow.workerCandidates ? { legacy: legacySettings(config.legacy) } : {}),
          noise,
          logger,
        })
      : null,
    onResult: (slice, result) => countComparison(rolling, slice, result),
  });
  const rec = config.shadow.record;
  const recorder = rec.file
    ? createRecorder({
        file: rec.file,
        maxBytes: rec.maxBytes,
        sampleRate: rec.sampleRate,
        maskHeaders: (h) => masker.maskHeaders(h),
        maskBody: (json) => masker.maskValue(json),
        secretParams: [...SECRET_QUERY_PARAMS, ...config.log.redactQueryParams],
        logger,
      })
    : null;
  const legacyAgain: Deps['legacyAgain'] = async (method, url, headers, signal) => {
    const r = await legacyPool.request({
      method: method as 'GET',
      path: `${basePath}${url}`,
      headers,
      signal,
    });
    const body = Buffer.from(await r.body.arrayBuffer());
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string') flat[k] = v;
    return { status: r.statusCode, headers: flat, body: body.length > config.shadow.maxBodyBytes ? 'truncated' : body };
  };
  const ai = createAiEngine(config, { logger, metrics });
  return {
    config,
    logger,
    ai,
    metrics,
    flagProvider,
    flags,
    state,
    legacyPool,
    legacyHttp: legacyClients.http,
    adapters: legacyClients.adapters,
    primedAdapters: legacyClients.primedAdapters,
    rewriter,
    passthrough,
    tunneler,
    publicOrigin,
    shadow,
    diffStore,
    noise,
    rolling,
    masker,
    redis,
    legacyAgain,
    recorder,
    routes: opts.routes ?? ROUTE_TABLE,
  };
}

/** The plain data the comparison worker's own legacy pools are built from. */
function legacySettings(legacy: Config['legacy']): LegacyClientSettings {
  const { url, systems, connectTimeoutMs, headersTimeoutMs, bodyTimeoutMs } = legacy;
  return { url, systems: { ...systems }, connectTimeoutMs, headersTimeoutMs, bodyTimeoutMs };
}

/** Closes in reverse order of construction. */
export async function closeDeps(deps: Deps): Promise<void> {
  await deps.shadow.close();
  await deps.noise.close();
  await deps.recorder?.close();
  await deps.diffStore.close();
  deps.flags.close();
  await Promise.all(Object.values(deps.legacyHttp).map((h) => h.close()));
  await deps.legacyPool.close();
  await deps.rolling.close();
  await deps.state.close();
  await deps.flagProvider.close();
  if (deps.redis) deps.redis.disconnect();
  // Buffered log lines (the access log batches writes) must reach stdout before the process exits.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    deps.logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
