import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Errors, fromUndiciError, type GatewayError } from '../errors.js';
import { connectionTokens, isHopByHop, upstreamRequestHeaders } from './headers.js';
import { originFormTarget } from './request-target.js';
import { closeAfterWrite, rejectUpgrade } from './upgrade.js';

/**
 * Websocket upgrades are tunnelled as raw bytes: the handshake goes to legacy with the client's credentials, Origin
 * and cookies, and legacy's own answer (101, or 401…) reaches the client. The gateway never parses frames, except to
 * say goodbye with 1001 on shutdown.
 *
 * The tunnel opens only once legacy has answered 101 with `Upgrade: websocket`. Until then no client byte after the
 * request head reaches legacy, and a refusal (any other status) is relayed and the connection closed: otherwise a
 * client could append a second request that legacy, having refused the upgrade on a keep-alive connection, would read
 * as a request the gateway never saw (no forwarding headers replaced, no routing, no access log).
 */
export interface TunnelOptions {
  host: string;
  port: number;
  upstreamHost: string;
  basePath: string;
  connectTimeoutMs: number;
  /** How long legacy may take to answer the handshake once connected (default 30 s). */
  headersTimeoutMs?: number;
  trusted: (peer: string | undefined) => boolean;
  onOpen?: () => void;
  onClose?: () => void;
  onError?: (err: GatewayError) => void;
}

export function createTunneler(opts: TunnelOptions) {
  const open = new Set<{ client: Duplex; upstream: Duplex }>();
  const headersTimeoutMs = opts.headersTimeoutMs ?? 30_000;

  function tunnel(req: IncomingMessage, client: Duplex, head: Buffer, requestId: string): void {
    const target = originFormTarget(req.url ?? '/');
    if (target === null || target === '*') {
      rejectUpgrade(client, Errors.BAD_REQUEST.create({ detail: 'request target must be origin-form' }), requestId);
      return;
    }
    const headers = upstreamRequestHeaders(req, {
      upstreamHost: opts.upstreamHost,
      trusted: opts.trusted,
      keepUpgrade: true,
    });
    const up = httpRequest({
      host: opts.host,
      port: opts.port,
      method: 'GET',
      path: `${opts.basePath}${target}`,
      headers,
      setHost: false,
      agent: false,
    });
    let answered = false;
    const fail = (err: Error) => {
      if (answered || client.destroyed) {
        client.destroy();
        return;
      }
      answered = true;
      const gw = fromUndiciError(err, 'legacy', 'legacy');
      opts.onError?.(gw);
      rejectUpgrade(client, gw, requestId);
    };
    let timer = setTimeout(
      () => up.destroy(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
      opts.connectTimeoutMs,
    );
    up.once('socket', (s: Socket) => {
      s.setNoDelay(true);
      s.once('connect', () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => up.destroy(Object.assign(new Error('no handshake answer'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
          headersTimeoutMs,
        );
      });
    });
    up.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    // The client's socket is not read before the tunnel opens: bytes it sends early stay in its buffer.
    client.on('error', () => up.destroy());
    const onClientClose = () => up.destroy();
    client.once('close', onClientClose);

    up.on('response', (res) => {
      // Legacy refused the upgrade: its answer, then the end of the connection.
      clearTimeout(timer);
      answered = true;
      if (client.destroyed) {
        res.destroy();
        return;
      }
      client.write(responseHead(res, true));
      res.on('data', (chunk: Buffer) => {
        if (!client.write(chunk)) res.pause();
      });
      client.on('drain', () => res.resume());
      res.on('end', () => closeAfterWrite(client));
      res.on('error', () => client.destroy());
    });

    up.on('upgrade', (res, upstream: Socket, upstreamHead: Buffer) => {
      clearTimeout(timer);
      answered = true;
      client.off('close', onClientClose);
      const protocol = String(res.headers.upgrade ?? '')
        .trim()
        .toLowerCase();
      if (protocol !== 'websocket' || client.destroyed) {
        upstream.destroy();
        if (!client.destroyed) {
          const gw = Errors.UPSTREAM_BAD_RESPONSE.create({
            target: 'legacy',
            system: 'legacy',
            detail: `legacy switched to ${protocol || 'an unnamed protocol'} instead of websocket`,
          });
          opts.onError?.(gw);
          rejectUpgrade(client, gw, requestId);
        }
        return;
      }
      const entry = { client, upstream };
      open.add(entry);
      opts.onOpen?.();
      upstream.setNoDelay(true);
      client.write(responseHead(res, false));
      if (upstreamHead.length) client.write(upstreamHead);
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
      const cleanup = () => {
        if (open.delete(entry)) opts.onClose?.();
      };
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => {
        cleanup();
        client.end();
      });
      client.on('close', () => {
        cleanup();
        upstream.destroy();
      });
    });
    up.end();
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

/**
 * Legacy's status line and headers as the client gets them. A refusal is relayed with its body as node decodes it,
 * so the framing becomes "until the connection closes": chunked framing and hop-by-hop headers are dropped.
 */
function responseHead(res: IncomingMessage, refusal: boolean): string {
  let out = `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`;
  const conn = connectionTokens(res.headers.connection);
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (refusal && (isHopByHop(lower) || conn?.has(lower))) continue;
    out += `${name}: ${res.rawHeaders[i + 1] as string}\r\n`;
  }
  if (refusal) out += 'connection: close\r\n';
  return `${out}\r\n`;
}
