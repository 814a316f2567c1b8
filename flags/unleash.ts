import type { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type ClientFeaturesResponse, InMemStorageProvider, Unleash, type UnleashConfig } from 'unleash-client';
import { parseClientFeatures } from './client-features.js';
import { toUnleashContext } from './context.js';
import { createChangeListeners, createReadyGate, errorMessage } from './internal.js';
import { createDedupe, type FlagLogger, silentFlagLogger } from './logger.js';
import type { FlagProvider, FlagProviderStatus } from './provider.js';
import { summarizeFeature } from './summary.js';

export interface UnleashFlagProviderOptions {
  /** Client API base, e.g. `https://unleash.example/api/`. */
  url: string;
  /** A backend (client) token; it decides the project and environment served. */
  apiToken: string;
  appName: string;
  instanceId?: string;
  /** Poll interval. Default 1000; a toggle then reaches the gateway in about 1–2 s (the server adds up to 1 s). */
  refreshIntervalMs?: number;
  /** A flags file (client-features format) used until the server first answers. */
  bootstrapPath?: string;
  logger?: FlagLogger;
}

/** Usage metrics are cheap but not needed often; the SDK's own default is 60 s too. */
const METRICS_INTERVAL_MS = 60_000;

/**
 * unleash-client's Repository is private. `destroy()` removes all its listeners, and a poll still in flight then emits
 * 'error' with no listener, which kills the process (notes §5, unleash-node-sdk#672). A listener added after destroy
 * absorbs it.
 */
function repositoryOf(client: Unleash): EventEmitter | null {
  const repo: unknown = Reflect.get(client, 'repository');
  return typeof repo === 'object' && repo !== null && typeof Reflect.get(repo, 'on') === 'function'
    ? (repo as EventEmitter)
    : null;
}

/**
 * Flags from an Unleash server, polled by unleash-client and evaluated locally. A server outage keeps the last known
 * state (or the bootstrap file's) and reports `up: false`; it never throws at callers.
 */
export function createUnleashFlagProvider(options: UnleashFlagProviderOptions): FlagProvider {
  const logger = options.logger ?? silentFlagLogger;
  const listeners = createChangeListeners(logger);
  const gate = createReadyGate();
  const problems = createDedupe();
  const warnings = createDedupe();
  const evalProblems = createDedupe();
  const bootstrapPath = options.bootstrapPath === undefined ? undefined : resolve(options.bootstrapPath);

  let up = false;
  let error: string | null = null;
  let lastSyncAt: number | null = null;
  let closed = false;
  /** The next 'changed' comes from the bootstrap file, not the server: it makes us ready, not `up`. */
  let bootstrapChangePending = false;

  // Our own bootstrap reader (instead of `bootstrap.filePath`) validates the file with the flags-file schema, logs
  // through our logger, and tells the bootstrap's 'changed' apart from the server's.
  const bootstrap: UnleashConfig['bootstrap'] =
    bootstrapPath === undefined
      ? undefined
      : {
          bootstrapProvider: {
            async readBootstrap(): Promise<ClientFeaturesResponse | undefined> {
              let text: string;
              try {
                text = await readFile(bootstrapPath, 'utf8');
              } catch (err) {
                logger.warn({ path: bootstrapPath, err: errorMessage(err) }, 'flags bootstrap file not readable');
                return undefined;
              }
              const parsed = parseClientFeatures(text);
              if (!parsed.ok) {
                logger.warn({ path: bootstrapPath, error: parsed.error }, 'flags bootstrap file rejected');
                return undefined;
              }
              // unleash-client ignores an empty bootstrap, so only a non-empty one produces a 'changed'.
              bootstrapChangePending = parsed.data.features.length > 0;
              return parsed.data;
            },
          },
        };

  const client = new Unleash({
    url: options.url,
    appName: options.appName,
    ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
    refreshInterval: options.refreshIntervalMs ?? 1_000,
    metricsInterval: METRICS_INTERVAL_MS,
    customHeaders: { Authorization: options.apiToken },
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
    ...(bootstrap === undefined ? {} : { bootstrap }),
  });

  function synced(changed: boolean): void {
    if (closed) return;
    const wasUp = up;
    up = true;
    error = null;
    lastSyncAt = Date.now();
    if (!wasUp) {
      problems.reset();
      logger.info({ url: options.url }, 'flag server synchronised');
    }
    if (changed || !wasUp) listeners.emit();
  }

  client.on('changed', () => {
    if (bootstrapChangePending) {
      bootstrapChangePending = false;
      // A first state, though not from the server: `up` stays false, and the usual staleness limit starts now.
      lastSyncAt ??= Date.now();
      logger.info({ path: bootstrapPath }, 'flags bootstrapped from file until the server answers');
      listeners.emit();
      return;
    }
    synced(true);
  });
  client.on('unchanged', () => synced(false));
  client.on('ready', () => {
    // 'ready' follows the first 'changed' (bootstrap or server) on the next tick; evaluation is allowed from here on.
    gate.open();
    listeners.emit();
  });
  // These listeners also stop the SDK from console.error-ing each error itself.
  client.on('error', (err: unknown) => {
    if (closed) return;
    const message = `unleash ${options.url}: ${errorMessage(err)}`;
    const changed = up || error !== message;
    up = false;
    error = message;
    if (problems.isNew(message)) {
      logger.warn({ url: options.url, error: message }, 'flag server error; keeping the last known state');
    }
    if (changed) listeners.emit();
  });
  client.on('warn', (msg: unknown) => {
    const detail = errorMessage(msg);
    if (warnings.isNew(detail)) logger.warn({ url: options.url, detail }, 'unleash-client warning');
  });

  return {
    source: 'unleash',
    ready: (timeoutMs) => gate.wait(timeoutMs),
    isEnabled(name, ctx) {
      // Before 'ready' the SDK would warn on every call; the answer is false either way.
      if (!gate.isOpen) return false;
      try {
        return client.isEnabled(name, toUnleashContext(ctx));
      } catch (err) {
        if (evalProblems.isNew(name)) logger.error({ flag: name, err: errorMessage(err) }, 'flag evaluation threw');
        return false;
      }
    },
    definition(name) {
      if (!gate.isOpen) return undefined;
      const feature = client.getFeatureToggleDefinition(name);
      return feature === undefined ? undefined : summarizeFeature(feature);
    },
    status(): FlagProviderStatus {
      return { source: 'unleash', up, ready: gate.isOpen, lastSyncAt, error, origin: options.url };
    },
    onChange: (listener) => listeners.add(listener),
    async close() {
      if (closed) return;
      closed = true;
      // The SDK starts on process.nextTick and its start() would revive a fetcher stopped before it: let it run first.
      await new Promise<void>((r) => setImmediate(r));
      client.destroy();
      repositoryOf(client)?.on('error', (err: unknown) => {
        logger.info({ url: options.url, err: errorMessage(err) }, 'flag poll in flight at close failed (ignored)');
      });
      gate.release();
      listeners.clear();
    },
  };
}
