import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHttp } from '../helpers/raw-http.js';
import { get, type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.close();
});

const ticket = (id: number) => `${s.gw.publicUrl}/api/v2/tickets/${id}.json`;

async function servedBy(customer: number): Promise<string> {
  const r = await get(ticket(1 + (customer % 100)), { 'x-customer-id': `cust-${customer}` });
  expect(r.status).toBe(200);
  return String(r.servedBy);
}

describe('per-slice flag routing', () => {
  it('serves the slice from legacy while its serve flag is off', async () => {
    const r = await get(ticket(3));
    expect(r.status).toBe(200);
    expect(r.servedBy).toBe('legacy');
    expect(r.headers['x-gateway-mode']).toBe('legacy');
  });

  it('moves traffic when the flags file changes, without a restart, and keeps each customer on one side', async () => {
    s.serve('tickets.get', 50);
    await s.waitFor(() => s.gw.deps.flags.slice('tickets.get').stage === 'canary', 2_000);
    const first: string[] = [];
    for (let c = 0; c < 100; c++) first.push(await servedBy(c));
    const toNew = first.filter((x) => x === 'new').length;
    expect(toNew).toBeGreaterThan(25);
    expect(toNew).toBeLessThan(75);
    for (let round = 0; round < 2; round++) {
      for (let c = 0; c < 100; c++) expect(await servedBy(c)).toBe(first[c]);
    }
  });

  it('serves byte-identical answers from the new handler and from legacy, for every ticket in the data set', async () => {
    s.serve('tickets.get', 100);
    await s.waitFor(async () => (await get(ticket(1))).servedBy === 'new');
    for (let id = 1; id <= 120; id++) {
      const modern = await get(ticket(id));
      expect(modern.servedBy).toBe('new');
      expect(modern.headers['x-gateway-mode']).toBe('live');
      const direct = await get(`${s.sim.url}/api/v2/tickets/${id}.json`);
      expect(modern.status).toBe(direct.status);
      expect(modern.body).toBe(direct.body.replaceAll(s.sim.url, s.gw.publicUrl));
      expect(modern.headers['content-type']).toBe(direct.headers['content-type']);
    }
    const missing = await get(ticket(999));
    expect(missing.servedBy).toBe('new');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'RecordNotFound', description: 'Not found' });
  });

  it('moves every request to legacy at once with the kill switch, and back when released', async () => {
    s.killSwitch(true);
    await s.waitFor(async () => (await get(ticket(1))).servedBy === 'legacy');
    for (let c = 0; c < 30; c++) {
      const r = await get(ticket(1), { 'x-customer-id': `k-${c}` });
      expect(r.servedBy).toBe('legacy');
      expect(r.reason).toBe('kill_switch');
    }
    s.killSwitch(false);
    await s.waitFor(async () => (await get(ticket(1))).servedBy === 'new');
  });

  it('carries the decision headers on the gateway’s own problem answer when legacy is down', async () => {
    s.sim.setFaults({ mode: 'down' });
    try {
      const slice = await get(ticket(3));
      expect(slice.status).toBe(502);
      expect(slice.headers['content-type']).toBe('application/problem+json');
      expect(slice.servedBy).toBe('legacy');
      expect(slice.headers['x-gateway-mode']).toBeDefined();
      const passthrough = await get(`${s.gw.publicUrl}/api/v2/users/1.json`);
      expect(passthrough.status).toBe(502);
      expect(passthrough.servedBy).toBe('legacy');
    } finally {
      s.sim.setFaults({ mode: 'none' });
    }
  });

  it('keeps non-canonical paths (encoded, dot segments) on legacy', async () => {
    for (const path of [
      '/api/v2/tickets/%31.json',
      '/api/v2/tickets/1.json/',
      '/api/v2//tickets/1.json',
      '/api/v2/x/../tickets/1.json',
    ]) {
      // Raw request line: an HTTP client library would normalise the dot segments away.
      const head = await rawHttp(s.gw.publicUrl, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(head, path).toMatch(/x-gateway-served-by: legacy/i);
    }
  });

  it('counts requests per slice and who served them', async () => {
    expect(
      await s.metric('gateway_requests_total', { slice: 'tickets.get', served_by: 'new', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(
      await s.metric('gateway_requests_total', { slice: 'tickets.get', served_by: 'legacy', outcome: 'ok' }),
    ).toBeGreaterThan(0);
  });
});
