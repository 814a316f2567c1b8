import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Errors, type GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js';

/**
 * Requests with `Connection: upgrade`. Node hands their socket over (no more parsing, no server timeouts), so what
 * happens next is decided here: websocket handshakes go to the tunnel (./websocket.ts), any other upgrade is served as
 * a plain request, and refusals are written on the raw socket.
 */

/**
 * A websocket handshake the gateway tunnels: `GET`, `Upgrade: websocket` and nothing else, no request body
 * (RFC 6455 §4.1). Any other upgrade (`h2c`, `TLS/1.0`, a list of protocols) is never tunnelled: legacy speaking a
 * protocol the gateway cannot read would turn the connection into a blind pipe past every gateway control.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return (
    req.method === 'GET' &&
    typeof upgrade === 'string' &&
    upgrade.trim().toLowerCase() === 'websocket' &&
    !hasRequestBody(req)
  );
}

/**
 * Serves an upgrade request the gateway does not tunnel as the plain request it also is (RFC 9110 §7.8: a server may
 * ignore Upgrade): `handle` answers it through the normal pipeline and the connection closes afterwards, because node
 * has already handed the socket over. A body cannot be read any more once node has stopped parsing, so such a request
 * is answered 400 instead.
 */
export function serveWithoutUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  requestId: string,
): void {
  if (hasRequestBody(req)) {
    rejectUpgrade(
      socket,
      Errors.BAD_REQUEST.create({ detail: 'Upgrade is only supported for websocket handshakes (GET, no body)' }),
      requestId,
    );
    return;
  }
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once('finish', () => closeAfterWrite(socket));
  socket.on('error', () => socket.destroy());
  handle(req, res);
}

function hasRequestBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/** Answers an upgrade request with a problem document and closes the connection (node no longer owns the socket). */
export function rejectUpgrade(client: Duplex, err: GatewayError, requestId: string): void {
  if (client.destroyed) return;
  const body = JSON.stringify(toProblem(err, requestId));
  client.write(
    `HTTP/1.1 ${err.statusCode} ${REASONS[err.statusCode] ?? 'Error'}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  closeAfterWrite(client);
}

/**
 * Ends a socket node no longer reads (it was handed over for an upgrade): whatever the client still sends is read and
 * discarded so its FIN is seen, and a client that never closes its side is cut off after a short linger.
 */
export function closeAfterWrite(socket: Duplex): void {
  socket.resume();
  socket.end();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

const LINGER_MS = 2_000;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
