/**
 * startSimulator(): the legacy platform on a real socket. Plain node:http so every header is under our control;
 * `ws` for presence. Faults apply to /api, /crm and /soap; `down` really closes the listening socket (connections
 * are refused) and anything else re-listens on the same address and port.
 */
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BodyReader } from './body.js';
import { controlRoutes, type SimulatorControls } from './control.js';
import { type Ctx, notFound, sendEmpty, sendJson, sleep } from './http-util.js';
import { createPresenceHub, PRESENCE_PATH, presenceAuthorized, rejectUpgrade } from './presence-ws.js';
import { Router } from './router.js';
import { PLATFORM_ROUTES } from './routes.js';
import { SimState } from './state.js';
import type { Simulator, SimulatorFaults, SimulatorOptions } from './types.js';

export type { RecordedRequest, Simulator, SimulatorFaults, SimulatorOptions, WriteRecord } from './types.js';

const DEFAULT_SLOW_MS = 1000;
const INTERNAL_ERROR = { error: 'InternalError', description: 'Internal Server Error' } as const;
const noop = (): void => {};

const isFaultable = (path: string): boolean => /^\/(api|crm|soap)(\/|$)/.test(path);

function splitUrl(rawUrl: string): { path: string; query: URLSearchParams } {
  const q = rawUrl.indexOf('?');
  return {
    path: q === -1 ? rawUrl : rawUrl.slice(0, q),
    query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
  };
}

function originOf(addr: AddressInfo): string {
  const unspecified = addr.address === '0.0.0.0' || addr.address === '::';
  const host = unspecified ? (addr.family === 'IPv6' ? '::1' : '127.0.0.1') : addr.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
}

async function dispatch(ctx: Ctx, router: Router): Promise<void> {
  const match = router.match(ctx.method, ctx.path);
  if (match.kind === 'found') {
    ctx.params = match.params;
    if (match.body === 'drain') await ctx.body.drain();
    await match.handler(ctx);
  } else {
    await ctx.body.drain();
    if (match.kind === 'method' && ctx.method === 'OPTIONS') sendEmpty(ctx, 204, { Allow: match.allow.join(', ') });
    else notFound(ctx);
  }
  if (!ctx.body.consumed) await ctx.body.drain();
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const state = new SimState();
  const closing = new AbortController();
  // Every delayed or streaming response listens on this signal; hundreds at once are normal under load.
  setMaxListeners(0, closing.signal);
  const hub = createPresenceHub(state);
  const sockets = new Set<Socket>();
  const latencyMs = opts.latencyMs ?? 0;
  const server = createServer({ keepAliveTimeout: 5000 });
  let listening = false;
  let closed = false;
  let recoverTimer: NodeJS.Timeout | undefined;
  let origin = '';
  let bound: AddressInfo | undefined;

  const goDown = (): void => {
    if (!listening) return;
    listening = false;
    server.close(noop);
    hub.terminateAll();
    for (const s of sockets) s.destroy();
  };
  const goUp = (): void => {
    if (listening || closed || bound === undefined) return;
    listening = true;
    // An IP literal binds on the next tick, before any client could connect.
    server.listen(bound.port, bound.address);
  };
  const setFaults = (f: SimulatorFaults): void => {
    clearTimeout(recoverTimer);
    state.faults = f.delayMs === undefined ? { mode: f.mode } : { mode: f.mode, delayMs: f.delayMs };
    if (f.mode !== 'down') {
      goUp();
      return;
    }
    goDown();
    if (f.delayMs !== undefined) recoverTimer = setTimeout(() => setFaults({ mode: 'none' }), f.delayMs).unref();
  };
  const reset = (): void => {
    clearTimeout(recoverTimer);
    state.reset();
    goUp();
  };

  const controls: SimulatorControls = {
    reset,
    setFaultsAfterResponse: (ctx, f) => {
      if (f.mode === 'down') ctx.res.once('finish', () => setFaults(f));
      else setFaults(f);
    },
    faults: () => ({ ...state.faults }),
    requests: () => state.requests(),
    writes: () => state.writes(),
    duplicateWrites: () => state.duplicateWrites(),
  };
  const platform = new Router(PLATFORM_ROUTES);
  const control = new Router(controlRoutes(controls));

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.on('error', noop);
    res.on('error', noop);
    const rawUrl = req.url ?? '/';
    const { path, query } = splitUrl(rawUrl);
    const isControl = path === '/_simulator' || path.startsWith('/_simulator/');
    const record = isControl ? null : state.recordRequest(req.method ?? '', rawUrl, req.headers);
    const ctx: Ctx = {
      req,
      res,
      method: (req.method ?? 'GET').toUpperCase(),
      path,
      query,
      params: {},
      state,
      origin,
      body: new BodyReader(req, record),
      rateLimitRemaining: path.startsWith('/api/') ? state.rateLimitRemaining(Date.now()) : null,
      signal: closing.signal,
    };
    try {
      if (!isControl) {
        const faults = state.faults;
        if (isFaultable(path)) {
          if (faults.mode === 'reset') return void req.socket.destroy();
          if (faults.mode === 'slow' && !(await sleep(faults.delayMs ?? DEFAULT_SLOW_MS, closing.signal))) return;
          if (faults.mode === 'error500') {
            await ctx.body.drain();
            return sendJson(ctx, 500, INTERNAL_ERROR);
          }
        }
        if (latencyMs > 0 && !(await sleep(latencyMs, closing.signal))) return;
      }
      await dispatch(ctx, isControl ? control : platform);
    } catch {
      if (!res.headersSent) sendJson(ctx, 500, INTERNAL_ERROR);
      else res.destroy();
    }
  };

  const onUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', noop);
    const rawUrl = req.url ?? '/';
    const { path, query } = splitUrl(rawUrl);
    state.recordRequest(req.method ?? 'GET', rawUrl, req.headers);
    if (path !== PRESENCE_PATH && path !== `${PRESENCE_PATH}.json`) {
      return rejectUpgrade(socket, 404, { error: 'RecordNotFound', description: 'Not found' });
    }
    const faults = state.faults;
    if (faults.mode === 'reset') return void socket.destroy();
    if (faults.mode === 'error500') return rejectUpgrade(socket, 500, INTERNAL_ERROR);
    if (faults.mode === 'slow' && !(await sleep(faults.delayMs ?? DEFAULT_SLOW_MS, closing.signal))) return;
    if (latencyMs > 0 && !(await sleep(latencyMs, closing.signal))) return;
    if (!presenceAuthorized(req, query)) {
      return rejectUpgrade(
        socket,
        401,
        { error: "Couldn't authenticate you" },
        { 'WWW-Authenticate': 'Bearer realm="legacy-sim"' },
      );
    }
    hub.accept(req, socket, head);
  };

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    onRequest(req, res).catch(() => res.destroy());
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    onUpgrade(req, socket, head).catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8090, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Re-listening after `down` may fail (port taken meanwhile); the simulator then simply stays down.
  server.on('error', () => {
    listening = false;
  });
  listening = true;
  bound = server.address() as AddressInfo;
  const url = originOf(bound);
  origin = (opts.publicOrigin ?? url).replace(/\/+$/, '');

  return {
    url,
    port: bound.port,
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(recoverTimer);
      closing.abort();
      await hub.closeAll();
      const done = listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      listening = false;
      for (const s of sockets) s.destroy();
      await done;
    },
    reset,
    setFaults,
    requests: () => state.requests(),
    writes: () => state.writes(),
    duplicateWrites: () => state.duplicateWrites(),
  };
}
