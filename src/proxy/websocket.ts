import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { fromUndiciError, type GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js';
import { upstreamRequestHeaders } from './headers.js';

/**
 * Websocket (and any other Upgrade) requests are tunnelled as raw bytes: the request goes to legacy with the
 * client's credentials, Origin and cookies, and legacy's own handshake answer (101, or 401…) reaches the client.
 * The gateway never parses frames, except to say goodbye with 1001 on shutdown.
 */
export interface TunnelOptions {
  host: string;
  port: number;
  upstreamHost: string;
  basePath: string;
  connectTimeoutMs: number;
  trusted: (peer: string | undefined) => boolean;
  onOpen?: () => void;
  onClose?: () => void;
  onError?: (err: GatewayError) => void;
}

export function createTunneler(opts: TunnelOptions) {
  const open = new Set<{ client: Duplex; upstream: net.Socket }>();

  function tunnel(req: IncomingMessage, client: Duplex, head: Buffer, requestId: string): void {
    const headers = upstreamRequestHeaders(req, {
      upstreamHost: opts.upstreamHost,
      trusted: opts.trusted,
      keepUpgrade: true,
    });
    let head1 = `${req.method} ${opts.basePath}${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) head1 += `${headers[i]}: ${headers[i + 1]}\r\n`;
    head1 += '\r\n';
    const upstream = net.connect({ host: opts.host, port: opts.port });
    upstream.setNoDelay(true);
    const timer = setTimeout(
      () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
      opts.connectTimeoutMs,
    );
    const entry = { client, upstream };
    let connected = false;
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      open.add(entry);
      opts.onOpen?.();
      upstream.write(head1);
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (err) => {
      clearTimeout(timer);
      if (!connected) {
        const gw = fromUndiciError(err, 'legacy', 'legacy');
        opts.onError?.(gw);
        writeProblem(client, gw, requestId);
        return;
      }
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
    const cleanup = () => {
      if (open.delete(entry)) opts.onClose?.();
    };
    upstream.on('close', () => {
      cleanup();
      client.end();
    });
    client.on('close', () => {
      cleanup();
      upstream.destroy();
    });
  }

  /** Shutdown: unpipe, send both sides a close frame with 1001 (going away), then end. */
  async function closeAll(graceMs: number): Promise<void> {
    const closing = [...open].map(
      ({ client, upstream }) =>
        new Promise<void>((resolve) => {
          upstream.unpipe(client);
          client.unpipe(upstream);
          // Keep reading the client so its close-frame answer and FIN arrive (unpipe pauses the socket).
          client.resume();
          // Server → client frames are unmasked; client → server frames must be masked (RFC 6455 §5.3).
          client.write(Buffer.from([0x88, 0x02, 0x03, 0xe9]));
          upstream.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9]));
          const t = setTimeout(() => {
            client.destroy();
            upstream.destroy();
            resolve();
          }, graceMs);
          client.once('close', () => {
            clearTimeout(t);
            upstream.destroy();
            resolve();
          });
          client.end();
        }),
    );
    await Promise.all(closing);
  }

  return { tunnel, closeAll, count: () => open.size };
}

function writeProblem(client: Duplex, err: GatewayError, requestId: string): void {
  if (client.destroyed) return;
  const body = JSON.stringify(toProblem(err, requestId));
  client.end(
    `HTTP/1.1 ${err.statusCode} ${err.statusCode === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
