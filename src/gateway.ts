import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { buildApp } from './app.js';
import { type ComposeOptions, closeDeps, composeDeps } from './compose.js';
import type { Config } from './config.js';
import type { Deps } from './deps.js';

export interface RunningGateway {
  deps: Deps;
  publicUrl: string;
  adminUrl: string;
  /** Graceful: readiness off, stop accepting, drain in-flight requests (bounded), close websockets with 1001. */
  close(): Promise<void>;
}

/** Composes, builds and listens. Used by the CLI, the demo, tests and the benchmark. */
export async function startGateway(config: Config, opts: ComposeOptions = {}): Promise<RunningGateway> {
  const deps = composeDeps(config, opts);
  // The comparison worker loads while the gateway starts (at low priority), not beside the first shadow run.
  if (config.shadow.maxConcurrent > 0) deps.shadow.warm();
  const app = buildApp(deps);
  const { logger } = deps;
  if (deps.redis) await redisConnected(deps.redis, 1_500);
  await Promise.all([
    deps.flagProvider.ready(5_000),
    deps.noise.refresh(),
    'ready' in deps.state ? (deps.state as { ready(): Promise<void> }).ready() : null,
  ]);
  // Learned noise from other replicas (or an earlier run) is merged in the background.
  const noiseRefresh = setInterval(() => void deps.noise.refresh(), 10_000);
  noiseRefresh.unref();
  const flagStatus = deps.flagProvider.status();
  if (!flagStatus.ready)
    logger.warn({ flags: flagStatus }, 'flags not ready yet: every slice is served by legacy until they are');

  const probe = startLegacyProbe(config.legacy.url, () => {
    app.lifecycle.legacyReached = true;
  });
  app.public.listen(config.port, config.host);
  await once(app.public, 'listening');
  const addr = app.public.address() as AddressInfo;
  deps.publicOrigin.setListenAddress(config.host, addr.port);
  await app.admin.listen({ port: config.adminPort, host: config.adminHost ?? config.host });
  const adminAddr = app.admin.server.address() as AddressInfo;
  const hostForUrl = (h: string) => (h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h);
  const publicUrl = `http://${hostForUrl(config.host)}:${addr.port}`;
  const adminUrl = `http://${hostForUrl(config.adminHost ?? config.host)}:${adminAddr.port}`;
  if (!config.publicUrl) {
    logger.info(
      { publicOrigin: publicUrl },
      'publicUrl not set: legacy URLs are rewritten to the listen address or an allowed Host',
    );
  }
  logger.info(
    { public: publicUrl, admin: adminUrl, legacy: config.legacy.url, flags: flagStatus.source },
    'gateway listening',
  );

  let closing: Promise<void> | null = null;
  async function close(): Promise<void> {
    app.lifecycle.shuttingDown = true;
    probe.stop();
    clearInterval(noiseRefresh);
    const grace = config.server.shutdownGraceMs;
    const closed = new Promise<void>((resolve) => app.public.close(() => resolve()));
    // Connections become idle as their in-flight responses finish: close them as they do.
    app.public.closeIdleConnections();
    const idleSweep = setInterval(() => app.public.closeIdleConnections(), 50);
    const ws = deps.tunneler.closeAll(Math.min(1_000, grace));
    const timer = setTimeout(() => {
      logger.warn({ graceMs: grace }, 'shutdown grace period over: closing remaining connections');
      app.public.closeAllConnections();
    }, grace);
    await Promise.all([closed, ws]);
    clearTimeout(timer);
    clearInterval(idleSweep);
    await app.admin.close();
    await app.monitor.close();
    await closeDeps(deps);
    logger.info('gateway stopped');
  }
  return {
    deps,
    publicUrl,
    adminUrl,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

/** TCP-connects to legacy until it answers once (readiness); never on the request path. */
function startLegacyProbe(url: string, onReached: () => void): { stop(): void } {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = () => {
    if (stopped) return;
    const s = net.connect({ host, port });
    s.setTimeout(1_000);
    s.once('connect', () => {
      s.destroy();
      onReached();
    });
    let failed = false;
    const retry = () => {
      s.destroy();
      if (failed) return;
      failed = true;
      if (!stopped) {
        timer = setTimeout(attempt, 500);
        timer.unref();
      }
    };
    s.once('error', retry);
    s.once('timeout', retry);
  };
  attempt();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Waits (bounded) for the first Redis connection; the gateway starts on local state if Redis is not there. */
async function redisConnected(redis: NonNullable<Deps['redis']>, ms: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
  });
}
