import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { type Stack, startStack } from '../helpers/stack.js';

/**
 * Ticket write slices through a real gateway in front of the simulator, served 100 % by the new path. "Legacy's
 * answer" is what a second, fresh simulator answers to the same request sent to it directly: same seed, same logical
 * clock, so the bytes must agree (once the gateway's origin rewrite is applied to the other simulator's origin).
 */
let s: Stack;
let direct: Simulator;

beforeAll(async () => {
  s = await startStack();
  direct = await startSimulator({ port: 0 });
  await s.serveLive('tickets.create', 'tickets.update');
});
afterAll(async () => {
  await direct?.close();
  await s?.close();
});
beforeEach(() => {
  s.sim.reset();
  direct.reset();
});

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  servedBy: string | undefined;
  reason: string | undefined;
}

async function send(
  origin: string,
  method: 'POST' | 'PUT' | 'PATCH',
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const res = await request(`${origin}${path}`, {
    method,
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.body.text();
  const h = res.headers;
  return {
    status: res.statusCode,
    headers: h,
    body: text,
    servedBy: h['x-gateway-served-by'] as string | undefined,
    reason: h['x-gateway-fallback-reason'] as string | undefined,
  };
}

/** The same request through the gateway and straight to the fresh simulator. */
async function both(method: 'POST' | 'PUT' | 'PATCH', path: string, body: string, headers?: Record<string, string>) {
  const gw = await send(s.gw.publicUrl, method, path, body, headers);
  const legacy = await send(direct.url, method, path, body, headers);
  return { gw, legacy, legacyBody: legacy.body.replaceAll(direct.url, s.gw.publicUrl) };
}

const requestsTo = (method: string, prefix: string) =>
  s.sim.requests().filter((r) => r.method === method && r.url.startsWith(prefix));

describe('tickets.create served by the new path', () => {
  it('creates the ticket exactly once and answers byte for byte as legacy does', async () => {
    const body = JSON.stringify({
      ticket: { subject: 'Printer on fire', comment: { body: 'Help!' }, priority: 'high', tags: ['VIP Customer'] },
    });
    const { gw, legacy, legacyBody } = await both('POST', '/api/v2/tickets.json', body, { 'idempotency-key': 'k-1' });
    expect(gw.servedBy).toBe('new');
    expect(gw.status).toBe(201);
    expect(gw.status).toBe(legacy.status);
    expect(gw.body).toBe(legacyBody);
    expect(gw.headers['content-type']).toBe(legacy.headers['content-type']);
    expect(gw.headers['x-idempotency-lookup']).toBe('miss');
    // Legacy's own address never reaches the client: the Location names the gateway, as in passthrough.
    expect(gw.headers.location).toBe(String(legacy.headers.location).replace(direct.url, s.gw.publicUrl));
    expect(String(gw.headers.location).startsWith(s.gw.publicUrl)).toBe(true);
    expect(JSON.parse(gw.body).ticket).toMatchObject({
      id: 121,
      subject: 'Printer on fire',
      tags: ['vip', 'customer'],
    });
    const writes = s.sim.writes();
    expect(writes.map((w) => [w.key, w.method, w.idempotencyKey])).toEqual([['ticket.create:121', 'POST', 'k-1']]);
    expect(s.sim.duplicateWrites()).toBe(0);
  });

  it("sends legacy the client's own bytes, so a retry under the same key replays on either path", async () => {
    // Pretty-printed: re-serialising it would change the bytes, and legacy's key fingerprint with them.
    const body = JSON.stringify({ ticket: { subject: 'Refund', comment: { body: 'Order A-1001' } } }, null, 2);
    const first = await send(s.gw.publicUrl, 'POST', '/api/v2/tickets', body, { 'idempotency-key': 'k-2' });
    expect(first.servedBy).toBe('new');
    expect(first.status).toBe(201);
    const again = await send(s.gw.publicUrl, 'POST', '/api/v2/tickets', body, { 'idempotency-key': 'k-2' });
    expect(again.servedBy).toBe('new');
    expect(again.headers['x-idempotency-lookup']).toBe('hit');
    expect(again.body).toBe(first.body);
    const straight = await send(s.sim.url, 'POST', '/api/v2/tickets', body, { 'idempotency-key': 'k-2' });
    expect(straight.status).toBe(201);
    expect(straight.headers['x-idempotency-lookup']).toBe('hit');
    expect(s.sim.writes()).toHaveLength(1);
    expect(s.sim.duplicateWrites()).toBe(0);
  });

  it('without a client key, a retry under the same x-request-id writes once; another request is not confused with it', async () => {
    const body = '{"ticket":{"subject":"Hi","comment":{"body":"Help"}}}';
    const headers = { 'x-request-id': 'client-req-7' };
    const first = await send(s.gw.publicUrl, 'POST', '/api/v2/tickets.json', body, headers);
    const retry = await send(s.gw.publicUrl, 'POST', '/api/v2/tickets.json', body, headers);
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body).toBe(first.body);
    // Legacy would not have said anything about keys to a client that sent none.
    expect(first.headers['x-idempotency-lookup']).toBeUndefined();
    expect(retry.headers['x-idempotency-lookup']).toBeUndefined();
    const other = await send(s.gw.publicUrl, 'POST', '/api/v2/tickets.json', body.replace('Hi', 'Hello'), headers);
    expect(other.status).toBe(201);
    expect(s.sim.writes().map((w) => w.key)).toEqual(['ticket.create:121', 'ticket.create:122']);
    expect(s.sim.writes()[0]?.idempotencyKey).toMatch(/^gw-client-req-7-[0-9a-f]{16}$/);
  });

  it.each([
    ['no subject (422)', '{"ticket":{"comment":{"body":"x"}}}', 422],
    ['no ticket (400)', '{}', 400],
    ['not JSON (400)', '{"ticket":', 400],
    ['a requester id as a string (422)', '{"ticket":{"subject":"a","comment":{"body":"b"},"requester_id":"3"}}', 422],
  ])('leaves a body outside the contract to legacy, which answers in its own words: %s', async (_n, body, status) => {
    const { gw, legacy, legacyBody } = await both('POST', '/api/v2/tickets.json', body);
    expect(gw.servedBy).toBe('legacy');
    expect(gw.reason).toBe('request_unmodelled');
    expect(gw.status).toBe(status);
    expect(gw.status).toBe(legacy.status);
    expect(gw.body).toBe(legacyBody);
    // The fallback's request is the only one legacy saw: the new path wrote nothing.
    expect(requestsTo('POST', '/api/v2/tickets')).toHaveLength(1);
    expect(s.sim.writes()).toHaveLength(0);
  });

  it('leaves a field the contract does not model to legacy (which applies it its own way)', async () => {
    const body = '{"ticket":{"subject":"a","comment":{"body":"b","public":false}}}';
    const { gw, legacyBody } = await both('POST', '/api/v2/tickets.json', body);
    expect(gw.servedBy).toBe('legacy');
    expect(gw.reason).toBe('request_unmodelled');
    expect(gw.status).toBe(201);
    expect(gw.body).toBe(legacyBody);
    expect(s.sim.writes()).toHaveLength(1);
  });

  it('relays legacy refusing a valid-looking request (unknown requester), with one attempt', async () => {
    const body = '{"ticket":{"subject":"a","comment":{"body":"b"},"requester_id":999}}';
    const { gw, legacy, legacyBody } = await both('POST', '/api/v2/tickets.json', body);
    expect(gw.servedBy).toBe('new');
    expect(gw.status).toBe(422);
    expect(legacy.status).toBe(422);
    expect(gw.body).toBe(legacyBody);
    expect(requestsTo('POST', '/api/v2/tickets')).toHaveLength(1);
    expect(s.sim.writes()).toHaveLength(0);
  });

  it('never retries on legacy once the write was sent: a legacy 500 is answered as an error', async () => {
    s.sim.setFaults({ mode: 'error500' });
    const r = await send(
      s.gw.publicUrl,
      'POST',
      '/api/v2/tickets.json',
      '{"ticket":{"subject":"a","comment":{"body":"b"}}}',
    );
    s.sim.setFaults({ mode: 'none' });
    expect(r.status).toBeGreaterThanOrEqual(500);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(requestsTo('POST', '/api/v2/tickets')).toHaveLength(1);
  });
});

describe('tickets.update served by the new path', () => {
  it('PUT and PATCH each change the ticket exactly once and answer as legacy does', async () => {
    const put = await both('PUT', '/api/v2/tickets/3.json', '{"ticket":{"status":"solved","tags":["Billing"]}}', {
      'idempotency-key': 'u-1',
    });
    expect(put.gw.servedBy).toBe('new');
    expect(put.gw.status).toBe(200);
    expect(put.gw.body).toBe(put.legacyBody);
    expect(JSON.parse(put.gw.body).ticket).toMatchObject({ id: 3, status: 'solved', tags: ['billing'] });
    const patch = await both('PATCH', '/api/v2/tickets/4', '{"ticket":{"priority":null,"subject":"Renamed"}}');
    expect(patch.gw.servedBy).toBe('new');
    expect(patch.gw.status).toBe(200);
    expect(patch.gw.body).toBe(patch.legacyBody);
    expect(s.sim.writes().map((w) => [w.key, w.method])).toEqual([
      ['ticket.update:3', 'PUT'],
      ['ticket.update:4', 'PATCH'],
    ]);
    expect(s.sim.duplicateWrites()).toBe(0);
  });

  it("relays legacy's 422 for a closed ticket after exactly one attempt", async () => {
    const { gw, legacy, legacyBody } = await both('PUT', '/api/v2/tickets/5.json', '{"ticket":{"status":"open"}}');
    expect(gw.servedBy).toBe('new');
    expect(gw.reason).toBeUndefined();
    expect(gw.status).toBe(422);
    expect(legacy.status).toBe(422);
    expect(gw.body).toBe(legacyBody);
    expect(JSON.parse(gw.body).details.status[0].error).toBe('ClosedPreventsUpdate');
    expect(requestsTo('PUT', '/api/v2/tickets/5')).toHaveLength(1);
    expect(s.sim.writes()).toHaveLength(0);
  });

  it("relays legacy's 404 for a ticket that does not exist", async () => {
    const { gw, legacyBody } = await both('PUT', '/api/v2/tickets/999.json', '{"ticket":{"status":"open"}}');
    expect(gw.servedBy).toBe('new');
    expect(gw.status).toBe(404);
    expect(gw.body).toBe(legacyBody);
  });

  it('leaves an invalid status to legacy, before any write', async () => {
    const { gw, legacy, legacyBody } = await both('PUT', '/api/v2/tickets/3.json', '{"ticket":{"status":"done"}}');
    expect(gw.servedBy).toBe('legacy');
    expect(gw.reason).toBe('request_unmodelled');
    expect(gw.status).toBe(422);
    expect(legacy.status).toBe(422);
    expect(gw.body).toBe(legacyBody);
    expect(requestsTo('PUT', '/api/v2/tickets/3')).toHaveLength(1);
    expect(s.sim.writes()).toHaveLength(0);
  });
});
