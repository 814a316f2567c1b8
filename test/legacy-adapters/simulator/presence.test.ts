import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { arr, obj } from './helpers.js';

let sim: Simulator;
let wsBase: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  wsBase = sim.url.replace('http://', 'ws://');
});
afterAll(() => sim.close());

/** A websocket client whose messages can be awaited one by one. */
async function connect(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const inbox: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  ws.on('message', (data) => {
    const msg: unknown = JSON.parse(String(data));
    const waiter = waiters.shift();
    if (waiter) waiter(msg);
    else inbox.push(msg);
  });
  await once(ws, 'open');
  const next = (): Promise<unknown> =>
    inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((resolve) => waiters.push(resolve));
  return { ws, next };
}

describe('presence websocket', () => {
  it('sends a snapshot, broadcasts status changes to everyone and answers ping', async () => {
    const a = await connect(`${wsBase}/api/v2/presence`, { authorization: 'Bearer agent-token' });
    const b = await connect(`${wsBase}/api/v2/presence?access_token=t2`);
    try {
      const snapshot = obj(await a.next());
      expect(snapshot.type).toBe('snapshot');
      const agents = arr(snapshot.agents).map(obj);
      expect(agents.map((x) => x.id)).toEqual([26, 27, 28, 29, 30]);
      expect(agents[0]).toEqual({ id: 26, name: 'Katrin Bauer', status: 'online' });
      await b.next();
      a.ws.send(JSON.stringify({ type: 'set_status', agent_id: 27, status: 'offline' }));
      const update = { type: 'presence', agent_id: 27, status: 'offline' };
      expect(await a.next()).toEqual(update);
      expect(await b.next()).toEqual(update);
      b.ws.send(JSON.stringify({ type: 'ping' }));
      expect(await b.next()).toEqual({ type: 'pong' });
      b.ws.send('not json');
      expect(obj(await b.next()).type).toBe('error');
      expect(sim.writes().at(-1)?.key).toBe('presence.set_status:27');
    } finally {
      a.ws.close();
      b.ws.close();
    }
  });

  it('answers an upgrade without a token with a plain 401 and a JSON body', async () => {
    const ws = new WebSocket(`${wsBase}/api/v2/presence`);
    // terminate() on a socket whose handshake was refused reports an error; that is expected here.
    ws.on('error', () => undefined);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual({ error: "Couldn't authenticate you" });
    ws.terminate();
  });

  it('closes clients with 1001 when the simulator closes', async () => {
    const own = await startSimulator({ port: 0 });
    const client = await connect(`${own.url.replace('http://', 'ws://')}/api/v2/presence?access_token=x`);
    const closed = once(client.ws, 'close');
    await own.close();
    const [code] = (await closed) as [number];
    expect(code).toBe(1001);
  });
});
