import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildAdminApp } from './admin/app.js';
import { contractEndpoints } from './contracts-api/index.js';
import { createContractApi } from './contracts-api/server.js';
import type { Deps } from './deps.js';
import { createSliceMonitor, type SliceMonitor } from './pipeline/rollback.js';
import { adapterHeaders, createPipeline, type Pipeline } from './pipeline/run.js';

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
  const server = createServer(
    {
      requestTimeout: config.server.requestTimeoutMs,
      headersTimeout: config.server.headersTimeoutMs,
      keepAliveTimeout: config.server.keepAliveTimeoutMs,
      maxHeaderSize: config.server.maxHeaderBytes,
      insecureHTTPParser: false,
    },
    pipeline.handle,
  );
  let tunnelSeq = 0;
  server.on('upgrade', (req, socket, head) => {
    if (lifecycle.shuttingDown) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    tunnelSeq++;
    deps.tunneler.tunnel(req, socket, head, `ws-${tunnelSeq.toString(36)}`);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed requests never reach legacy or crash the gateway: answer and close, as node would, but say why.
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const code = err.code ?? '';
    const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const title =
      status === 431 ? 'Request header fields too large' : status === 408 ? 'Request timeout' : 'Bad request';
    const body = JSON.stringify({
      type: 'about:blank',
      title,
      status,
      code: status === 408 ? 'GW_REQUEST_TIMEOUT' : 'GW_BAD_REQUEST',
    });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    logger.debug({ code, status }, 'client error');
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
