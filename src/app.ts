import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildAdminApp } from './admin/app.js';
import { contractEndpoints } from './contracts-api/index.js';
import { createContractApi } from './contracts-api/server.js';
import type { Deps } from './deps.js';
import { createSliceMonitor, type SliceMonitor } from './pipeline/rollback.js';
import { adapterHeaders, createPipeline, type Pipeline } from './pipeline/run.js';
import { answerClientError } from './proxy/client-error.js';
import { sendProblem } from './proxy/problem.js';
import { screenRequest } from './proxy/request-target.js';
import { isWebSocketUpgrade, rejectUpgrade, serveWithoutUpgrade } from './proxy/upgrade.js';

export interface App {
  /** The public port: a plain node:http server (see docs/decisions.md), every path reaches legacy or a slice. */
  public: Server;
  admin: FastifyInstance;
  pipeline: Pipeline;
  /** Rolling counters per slice and the automatic pin-back rule. */
  monitor: SliceMonitor;
  /** Readiness inputs the lifecycle owns. */
  lifecycle: { shuttingDown: boolean; legacyReached: boolean };
}

/** Builds both servers without listening. */
export function buildApp(deps: Deps): App {
  const { config, logger } = deps;
  const pipeline = createPipeline(
    {
      config,
      passthrough: deps.passthrough,
      flags: deps.flags,
      state: deps.state,
      adapters: deps.adapters,
      primedAdapters: deps.primedAdapters,
      metrics: deps.metrics,
      logger,
      rewriter: deps.rewriter,
      shadow: deps.shadow,
      legacyAgain: deps.legacyAgain,
      recorder: deps.recorder,
      publicOrigin: deps.publicOrigin.resolve,
      ai: deps.ai,
      contractApi: config.contracts.enabled
        ? createContractApi({
            prefix: config.contracts.prefix,
            endpoints: contractEndpoints({ timeZone: config.legacy.timeZone }),
            adapters: deps.adapters,
            logger,
            metrics: deps.metrics,
            rewriter: deps.rewriter,
            deadlineMs: config.contracts.deadlineMs,
            maxBodyBytes: config.contracts.maxBodyBytes,
            forwardHeaders: adapterHeaders,
          })
        : null,
    },
    deps.routes,
  );
  const monitor = createSliceMonitor({
    config: config.rollback,
    runtimes: pipeline.runtimes,
    rolling: deps.rolling,
    state: deps.state,
    metrics: deps.metrics,
    logger,
  });
  const lifecycle = { shuttingDown: false, legacyReached: false };
  let screened = 0;
  const server = createServer(
    {
      requestTimeout: config.server.requestTimeoutMs,
      headersTimeout: config.server.headersTimeoutMs,
      keepAliveTimeout: config.server.keepAliveTimeoutMs,
      maxHeaderSize: config.server.maxHeaderBytes,
      insecureHTTPParser: false,
      requireHostHeader: false, // checked by screenRequest, which answers with a problem document
      // Node checks the two timeouts above only every 30 s by default: a 30 s headers timeout could hold a slow client
      // for up to 60 s. Checking at a quarter of the shorter one keeps each within 25 % of what is configured.
      connectionsCheckingInterval: checkingInterval(config.server.headersTimeoutMs, config.server.requestTimeoutMs),
    },
    (req, res) => {
      const bad = screenRequest(req);
      if (bad === null) {
        pipeline.handle(req, res);
        return;
      }
      res.shouldKeepAlive = false;
      sendProblem(res, bad, `screened-${(++screened).toString(36)}`);
      logger.debug({ detail: bad.message }, 'request refused before routing');
    },
  );
  let tunnelSeq = 0;
  server.on('upgrade', (req, socket, head) => {
    if (lifecycle.shuttingDown) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    tunnelSeq++;
    const id = `ws-${tunnelSeq.toString(36)}`;
    const bad = screenRequest(req);
    if (bad) rejectUpgrade(socket, bad, id);
    // Only websocket handshakes are tunnelled; any other Upgrade (h2c…) is served as the plain request it also is.
    else if (isWebSocketUpgrade(req)) deps.tunneler.tunnel(req, socket, head, id);
    else serveWithoutUpgrade(req, socket, pipeline.handle, id);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const status = answerClientError(err, socket);
    logger.debug({ code: err.code, status }, 'client error');
  });
  const admin = buildAdminApp({
    logger,
    metrics: deps.metrics,
    flags: deps.flags,
    state: deps.state,
    runtimes: pipeline.runtimes,
    tokens: config.admin.tokens,
    diffs: deps.diffStore,
    noise: deps.noise,
    monitor,
    readiness: () => {
      const flagStatus = deps.flags.provider.status();
      const checks = {
        flags: {
          ok: flagStatus.ready,
          detail: `${flagStatus.source} ${flagStatus.origin}${flagStatus.error ? `: ${flagStatus.error}` : ''}`,
        },
        legacy: { ok: lifecycle.legacyReached, detail: config.legacy.url },
        shutdown: { ok: !lifecycle.shuttingDown },
      };
      return { ready: checks.flags.ok && checks.legacy.ok && checks.shutdown.ok, checks };
    },
  });
  return { public: server, admin, pipeline, monitor, lifecycle };
}

/** How often node checks header and request timeouts: a quarter of the shorter one, between 50 ms and 30 s. */
function checkingInterval(headersTimeoutMs: number, requestTimeoutMs: number): number {
  const shortest = Math.min(headersTimeoutMs || Number.POSITIVE_INFINITY, requestTimeoutMs || Number.POSITIVE_INFINITY);
  return Math.min(30_000, Math.max(50, Math.floor(shortest / 4)));
}
