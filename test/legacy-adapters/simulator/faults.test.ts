import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { arr, call, jsonBody, obj } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? String(err);
}

/** One request on a fresh connection: its status, or the connection error code. */
async function failure(url: string): Promise<string> {
  const dispatcher = new Agent();
  try {
    const res = await request(url, { dispatcher });
    await res.body.dump();
    return `status ${res.statusCode}`;
  } catch (err) {
    return errorCode(err);
  } finally {
    await dispatcher.destroy();
  }
}

describe('faults', () => {
  it('reset destroys the connection without an answer', async () => {
    sim.setFaults({ mode: 'reset' });
    expect(await failure(`${sim.url}/api/v2/tickets/1`)).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
    sim.setFaults({ mode: 'none' });
    expect((await call(sim.url, '/api/v2/tickets/1')).status).toBe(200);
  });

  it('down refuses connections until faults are cleared, then serves on the same port', async () => {
    await call(sim.url, '/api/v2/tickets/1');
    sim.setFaults({ mode: 'down' });
    expect(await failure(`${sim.url}/api/v2/tickets/1`)).toBe('ECONNREFUSED');
    // A pooled keep-alive connection does not survive the outage either.
    expect(await call(sim.url, '/api/v2/tickets/1').catch(errorCode)).toMatch(/UND_ERR_SOCKET|ECONNREFUSED|ECONNRESET/);
    sim.setFaults({ mode: 'none' });
    expect((await call(sim.url, '/api/v2/tickets/1')).status).toBe(200);
  });

  it('slow delays answers by delayMs; error500 answers 500 Zendesk-style; control endpoints are exempt', async () => {
    sim.setFaults({ mode: 'slow', delayMs: 150 });
    const started = performance.now();
    expect((await call(sim.url, '/crm/customers/10001')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    sim.setFaults({ mode: 'error500' });
    const res = await call(sim.url, '/soap/OrderService?wsdl');
    expect(res.status).toBe(500);
    expect(obj(res.json).error).toBe('InternalError');
    expect((await call(sim.url, '/_simulator/writes')).status).toBe(200);
  });

  it('exposes the same controls over HTTP', async () => {
    const set = await call(sim.url, '/_simulator/faults', jsonBody({ mode: 'error500' }));
    expect(set.status).toBe(200);
    expect((await call(sim.url, '/api/v2/users/1')).status).toBe(500);
    expect((await call(sim.url, '/_simulator/faults', jsonBody({ mode: 'sideways' }))).status).toBe(400);
    await call(sim.url, '/_simulator/reset', { method: 'POST' });
    await call(sim.url, '/api/v2/tickets', jsonBody({ ticket: { subject: 'a', comment: { body: 'b' } } }));
    const writes = obj((await call(sim.url, '/_simulator/writes')).json);
    expect(arr(writes.writes).map((w) => obj(w).key)).toEqual(['ticket.create:121']);
    expect(writes.duplicate_writes).toBe(0);
    const requests = arr(obj((await call(sim.url, '/_simulator/requests')).json).requests).map(obj);
    expect(requests.map((r) => `${String(r.method)} ${String(r.url)}`)).toEqual(['POST /api/v2/tickets']);
    expect(requests[0]?.bodySha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('down over HTTP with delayMs comes back by itself', async () => {
    expect((await call(sim.url, '/_simulator/faults', jsonBody({ mode: 'down', delayMs: 150 }))).status).toBe(200);
    expect(await failure(`${sim.url}/api/v2/tickets/1`)).toBe('ECONNREFUSED');
    let status = '';
    const deadline = performance.now() + 3000;
    while (status !== 'status 200' && performance.now() < deadline)
      status = await failure(`${sim.url}/api/v2/tickets/1`);
    expect(status).toBe('status 200');
  });

  it('reset() restores seed data and clears the logs', async () => {
    await call(sim.url, '/api/v2/tickets/1', { method: 'DELETE' });
    expect((await call(sim.url, '/api/v2/tickets/1')).status).toBe(404);
    sim.reset();
    expect(sim.writes()).toEqual([]);
    expect(sim.requests()).toEqual([]);
    expect((await call(sim.url, '/api/v2/tickets/1')).status).toBe(200);
  });

  it('adds latencyMs to every answer and still closes promptly with a stream open', async () => {
    const slow = await startSimulator({ port: 0, latencyMs: 100 });
    const started = performance.now();
    expect((await call(slow.url, '/api/v2/tickets/1')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    const stream = await request(`${slow.url}/api/v2/stream/events?count=1000&interval_ms=1000`);
    const drained = stream.body.dump().catch(() => undefined);
    const closing = performance.now();
    await slow.close();
    await drained;
    expect(performance.now() - closing).toBeLessThan(1000);
  });
});
