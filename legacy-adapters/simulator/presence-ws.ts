/**
 * Agent presence over a websocket (`GET /api/v2/presence`, upgrade). The handshake needs `Authorization: Bearer <x>`
 * or `?access_token=`; otherwise the upgrade is answered with a plain HTTP 401 and a JSON body. Messages: a snapshot
 * on connect, `set_status` broadcast to everyone as `presence`, `ping` → `pong`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { JSON_TYPE, SERVER_NAME } from './http-util.js';
import type { PresenceStatus, SimState } from './state.js';

export const PRESENCE_PATH = '/api/v2/presence';
const STATUSES: readonly PresenceStatus[] = ['online', 'away', 'offline'];
/** How long close() waits for clients to answer the close frame before cutting them off. */
const CLOSE_GRACE_MS = 250;

export interface PresenceHub {
  /** Completes the upgrade of an authenticated request. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Closes every client with 1001 (going away); resolves when all are gone. */
  closeAll(): Promise<void>;
  /** Drops every client without a close handshake (the platform went down). */
  terminateAll(): void;
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  404: 'Not Found',
  500: 'Internal Server Error',
};

/** Answers an upgrade request with a plain HTTP response and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const headers = {
    'Content-Type': JSON_TYPE,
    'Content-Length': String(payload.length),
    Server: SERVER_NAME,
    ...extra,
    Connection: 'close',
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${head}\r\n`), payload]),
  );
}

/** A bearer token or `access_token` query parameter, non-empty. */
export function presenceAuthorized(req: IncomingMessage, query: URLSearchParams): boolean {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^Bearer\s+\S+/i.test(auth)) return true;
  const token = query.get('access_token');
  return token !== null && token.trim() !== '';
}

export function createPresenceHub(state: SimState): PresenceHub {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 64 * 1024 });

  const send = (ws: WebSocket, msg: unknown): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };
  const broadcast = (msg: unknown): void => {
    for (const client of wss.clients) send(client, msg);
  };
  const snapshot = (): unknown => ({
    type: 'snapshot',
    agents: [...state.presence.entries()].map(([id, status]) => ({
      id,
      name: state.users.get(id)?.name ?? `Agent ${id}`,
      status,
    })),
  });

  const onMessage = (ws: WebSocket, data: RawData): void => {
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      send(ws, { type: 'error', error: 'InvalidJson', description: 'Message is not valid JSON' });
      return;
    }
    const m = typeof msg === 'object' && msg !== null ? (msg as Record<string, unknown>) : {};
    if (m.type === 'ping') {
      send(ws, { type: 'pong' });
      return;
    }
    if (m.type === 'set_status') {
      const agentId = m.agent_id;
      const status = m.status;
      if (typeof agentId !== 'number' || !state.presence.has(agentId)) {
        send(ws, { type: 'error', error: 'RecordNotFound', description: 'Unknown agent_id' });
      } else if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) {
        send(ws, { type: 'error', error: 'InvalidValue', description: 'status must be online, away or offline' });
      } else {
        state.presence.set(agentId, status as PresenceStatus);
        state.logWrite(`presence.set_status:${agentId}`, 'WS', PRESENCE_PATH, null);
        broadcast({ type: 'presence', agent_id: agentId, status });
      }
      return;
    }
    send(ws, { type: 'error', error: 'UnknownMessageType', description: 'Expected set_status or ping' });
  };

  return {
    accept(req, socket, head) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => ws.terminate());
        ws.on('message', (data) => onMessage(ws, data));
        send(ws, snapshot());
      });
    },
    async closeAll() {
      const clients = [...wss.clients];
      await Promise.all(
        clients.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === WebSocket.CLOSED) return resolve();
              const timer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
              ws.once('close', () => {
                clearTimeout(timer);
                resolve();
              });
              ws.close(1001, 'Server shutting down');
            }),
        ),
      );
      wss.close();
    },
    terminateAll() {
      for (const ws of wss.clients) ws.terminate();
    },
  };
}
