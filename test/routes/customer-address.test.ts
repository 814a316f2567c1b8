import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { type Stack, startStack } from '../helpers/stack.js';

/** `PUT /crm/customers/{id}/address` through a real gateway, served 100 % by the new path; a fresh simulator is legacy. */
let s: Stack;
let direct: Simulator;

beforeAll(async () => {
  s = await startStack();
  direct = await startSimulator({ port: 0 });
  await s.serveLive('customers.address');
});
afterAll(async () => {
  await direct?.close();
  await s?.close();
});
beforeEach(() => {
  s.sim.reset();
  direct.reset();
});

async function put(origin: string, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await request(`${origin}${path}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: await res.body.text(),
    servedBy: res.headers['x-gateway-served-by'],
    reason: res.headers['x-gateway-fallback-reason'],
  };
}

async function both(path: string, body: string, headers?: Record<string, string>) {
  return { gw: await put(s.gw.publicUrl, path, body, headers), legacy: await put(direct.url, path, body, headers) };
}

const addressPuts = () => s.sim.requests().filter((r) => r.method === 'PUT' && r.url.startsWith('/crm/customers/'));

describe('customers.address served by the new path', () => {
  it('changes the address exactly once and answers byte for byte as the CRM does', async () => {
    const body = '{"ADDRESS":{"STREET":"Hauptstraße 5","ZIP_CD":"14467","CITY":"Potsdam"}}';
    const { gw, legacy } = await both('/crm/customers/10001/address', body, { 'idempotency-key': 'a-1' });
    expect(gw.servedBy).toBe('new');
    expect(gw.status).toBe(200);
    expect(gw.body).toBe(legacy.body);
    expect(gw.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(JSON.parse(gw.body).ADDRESS).toMatchObject({ STREET: 'Hauptstraße 5', ZIP_CD: '14467', CITY: 'Potsdam' });
    expect(s.sim.writes().map((w) => [w.key, w.idempotencyKey])).toEqual([['crm.address:10001', 'a-1']]);
    // The CRM received the client's bytes: a retry straight to the CRM under the same key is a replay.
    const straight = await put(s.sim.url, '/crm/customers/10001/address', body, { 'idempotency-key': 'a-1' });
    expect(straight.status).toBe(200);
    expect(straight.headers['x-idempotency-lookup']).toBe('hit');
    expect(s.sim.writes()).toHaveLength(1);
    expect(s.sim.duplicateWrites()).toBe(0);
  });

  it('clears a field with an empty string, as the CRM reads it', async () => {
    const { gw, legacy } = await both('/crm/customers/10002/address.json', '{"ADDRESS":{"STREET":""}}');
    expect(gw.servedBy).toBe('new');
    expect(gw.status).toBe(200);
    expect(gw.body).toBe(legacy.body);
    expect(JSON.parse(gw.body).ADDRESS.STREET).toBe('');
  });

  it.each([
    ['a lower-case country', '{"ADDRESS":{"COUNTRY_CD":"de"}}'],
    ['no ADDRESS', '{"STREET":"x"}'],
    ['a street over 60 characters', `{"ADDRESS":{"STREET":"${'x'.repeat(61)}"}}`],
    ['a number for a string', '{"ADDRESS":{"ZIP_CD":14467}}'],
    ['not JSON', '{"ADDRESS":'],
  ])('leaves %s to the CRM, which answers its own 400, before any write', async (_n, body) => {
    const { gw, legacy } = await both('/crm/customers/10001/address', body);
    expect(gw.servedBy).toBe('legacy');
    expect(gw.reason).toBe('request_unmodelled');
    expect(gw.status).toBe(400);
    expect(legacy.status).toBe(400);
    expect(gw.body).toBe(legacy.body);
    expect(addressPuts()).toHaveLength(1);
    expect(s.sim.writes()).toHaveLength(0);
  });

  it("relays the CRM's 404 for an unknown customer after one attempt", async () => {
    const { gw, legacy } = await both('/crm/customers/99999/address', '{"ADDRESS":{"CITY":"Berlin"}}');
    expect(gw.servedBy).toBe('new');
    expect(gw.status).toBe(404);
    expect(gw.body).toBe(legacy.body);
    expect(JSON.parse(gw.body).ERROR_CD).toBe('CUST_NOT_FOUND');
    expect(addressPuts()).toHaveLength(1);
    expect(s.sim.writes()).toHaveLength(0);
  });
});
