import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CustomerV1Schema } from '../../contracts/v1/customer.js';
import { type CrmAdapter, createCrmAdapter } from '../../legacy-adapters/crm.js';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { addressToLegacy, customerFromLegacy } from '../../mappers/customer.js';
import { GatewayError } from '../../src/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/legacy/crm/${name}`, import.meta.url));
const CRM_JSON = 'application/json;charset=UTF-8';

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  const g = err as GatewayError;
  expect(g.target).toBe('legacy');
  expect(g.system).toBe('crm');
  return g;
}

describe('CRM adapter against the simulator', () => {
  let sim: Simulator;
  let http: LegacyHttp;
  let crm: CrmAdapter;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    http = createLegacyHttp({ url: sim.url, system: 'crm', headersTimeoutMs: 300 });
    crm = createCrmAdapter(http);
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });
  beforeEach(() => sim.reset());

  it('getCustomer returns the CRM record, forwarding the client headers it is given', async () => {
    const { response, json } = await crm.getCustomer('10001', { headers: { traceparent: '00-abc-def-01' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(CRM_JSON);
    expect(customerFromLegacy(json).value.id).toBe(10001);
    const seen = sim.requests().at(-1);
    expect(seen?.url).toBe('/crm/customers/10001');
    expect(seen?.headers.traceparent).toBe('00-abc-def-01');
  });

  it('returns 4xx answers for verbatim relay: unknown customer, conditional GET', async () => {
    const missing = await crm.getCustomer('99');
    expect(missing.response.status).toBe(404);
    expect(missing.json).toBeUndefined();
    expect(missing.response.body.toString()).toBe('{"ERROR_CD":"CUST_NOT_FOUND","ERROR_MSG":"CUSTOMER 99 NOT FOUND"}');
    const first = await crm.getCustomer('10002');
    const etag = first.response.headers.etag as string;
    const again = await crm.getCustomer('10002', { headers: { 'if-none-match': etag } });
    expect(again.response.status).toBe(304);
    expect(again.json).toBeUndefined();
  });

  it('escapes ids into one path segment', async () => {
    const { response } = await crm.getCustomer('10001/address');
    expect(response.status).toBe(404);
    expect(sim.requests().at(-1)?.url).toBe('/crm/customers/10001%2Faddress');
  });

  it('updateAddress applies once per Idempotency-Key and reports the replay', async () => {
    const body = addressToLegacy({ city: 'Potsdam', postalCode: '14467' });
    const first = await crm.updateAddress('10001', body, { idempotencyKey: 'k-1' });
    expect(first.response.status).toBe(200);
    expect(first.replayed).toBe(false);
    expect(customerFromLegacy(first.json).value.address).toMatchObject({ city: 'Potsdam', postalCode: '14467' });
    const second = await crm.updateAddress('10001', body, { idempotencyKey: 'k-1' });
    expect(second.replayed).toBe(true);
    expect(second.response.body.equals(first.response.body)).toBe(true);
    expect(sim.writes().map((w) => [w.key, w.idempotencyKey])).toEqual([['crm.address:10001', 'k-1']]);
    expect(sim.duplicateWrites()).toBe(0);
    const after = await crm.getCustomer('10001');
    expect(CustomerV1Schema.parse(customerFromLegacy(after.json).value).address.city).toBe('Potsdam');
  });

  it('updateAddress relays the CRM’s own 4xx answers: validation, key reuse, unknown customer', async () => {
    const invalid = await crm.updateAddress('10001', { COUNTRY_CD: 'Germany' }, { idempotencyKey: 'k-2' });
    expect(invalid.response.status).toBe(400);
    expect(invalid.json).toBeUndefined();
    expect(JSON.parse(invalid.response.body.toString())).toMatchObject({ ERROR_CD: 'VALIDATION_ERROR' });
    await crm.updateAddress('10001', { CITY: 'Potsdam' }, { idempotencyKey: 'k-3' });
    const reused = await crm.updateAddress('10001', { CITY: 'Bonn' }, { idempotencyKey: 'k-3' });
    expect(reused.response.status).toBe(400);
    expect(JSON.parse(reused.response.body.toString())).toMatchObject({ ERROR_CD: 'DUPLICATE_REQUEST' });
    const missing = await crm.updateAddress('10099', { CITY: 'Bonn' }, { idempotencyKey: 'k-4' });
    expect(missing.response.status).toBe(404);
    expect(sim.writes()).toHaveLength(1);
  });

  it('maps transport faults onto the GW_* taxonomy; a legacy 500 resolves for relay', async () => {
    sim.setFaults({ mode: 'error500' });
    const failed = await crm.getCustomer('10001');
    expect([failed.response.status, failed.json]).toEqual([500, undefined]);
    sim.setFaults({ mode: 'reset' });
    expect((await rejection(crm.getCustomer('10001'))).code).toBe('GW_UPSTREAM_RESET');
    sim.setFaults({ mode: 'slow', delayMs: 2000 });
    expect((await rejection(crm.getCustomer('10001'))).code).toBe('GW_UPSTREAM_TIMEOUT');
    sim.reset();
    const aborted = await rejection(crm.getCustomer('10001', { signal: AbortSignal.abort() }));
    expect(aborted.code).toBe('GW_DEADLINE_EXCEEDED');
    sim.setFaults({ mode: 'down' });
    expect((await rejection(crm.getCustomer('10001'))).code).toBe('GW_UPSTREAM_UNAVAILABLE');
  });
});

describe('CRM adapter with answers the simulator cannot give (MockAgent)', () => {
  const ORIGIN = 'http://crm.legacy.test';
  let agent: MockAgent;
  let crm: CrmAdapter;
  beforeAll(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    crm = createCrmAdapter(createLegacyHttp({ url: ORIGIN, system: 'crm', dispatcher: agent }));
  });
  afterAll(() => agent.close());

  const answer = (status: number, body: string | Buffer, contentType = CRM_JSON, path = '/crm/customers/10001') =>
    agent
      .get(ORIGIN)
      .intercept({ path, method: path.endsWith('/address') ? 'PUT' : 'GET' })
      .reply(status, body, { headers: { 'content-type': contentType } });

  it('turns a CRM error inside a 200 into GW_UPSTREAM_STATUS, keeping the CRM’s code and message', async () => {
    answer(200, '{"ERROR_CD":"CUST_LOCKED","ERROR_MSG":"CUSTOMER 10001 LOCKED"}');
    const err = await rejection(crm.getCustomer('10001'));
    expect([err.code, err.statusCode, err.message]).toEqual([
      'GW_UPSTREAM_STATUS',
      502,
      'CUST_LOCKED CUSTOMER 10001 LOCKED',
    ]);
    answer(200, '{"ERROR_CD":"E_DB","ERROR_MSG":""}', CRM_JSON, '/crm/customers/10001/address');
    const write = await rejection(crm.updateAddress('10001', { CITY: 'X' }, { idempotencyKey: 'k' }));
    expect(write.message).toBe('E_DB');
    // An empty ERROR_CD next to a real record is not an error.
    answer(200, fixture('customer-10001.fixture.json').toString().replace('{', '{"ERROR_CD":"",'));
    expect((await crm.getCustomer('10001')).json).toMatchObject({ CUSTOMER_ID: '10001' });
  });

  it('refuses a 2xx body that is not valid UTF-8, or not JSON, as GW_UPSTREAM_BAD_RESPONSE', async () => {
    answer(200, fixture('customer-invalid-utf8.fixture.bin'));
    const bytes = await rejection(crm.getCustomer('10001'));
    expect([bytes.code, bytes.message]).toEqual([
      'GW_UPSTREAM_BAD_RESPONSE',
      'crm answered 200 with a body that is not valid UTF-8',
    ]);
    answer(200, '<html>maintenance</html>', 'text/html');
    expect((await rejection(crm.getCustomer('10001'))).message).toBe('crm answered 200 with a body that is not JSON');
  });

  it('decodes a body in the charset its Content-Type names', async () => {
    const latin1 = Buffer.from(fixture('customer-10001.fixture.json').toString('utf8'), 'latin1');
    answer(200, latin1, 'application/json;charset=ISO-8859-1');
    const { json } = await crm.getCustomer('10001');
    expect(customerFromLegacy(json).value.address.street).toBe('Hauptstraße 12');
    answer(200, '{}', 'application/json;charset=x-klingon');
    expect((await rejection(crm.getCustomer('10001'))).code).toBe('GW_UPSTREAM_BAD_RESPONSE');
  });

  it('sends the PUT body, Content-Type and Idempotency-Key itself, over any forwarded values', async () => {
    let seen: { body: string; headers: Record<string, string> } | undefined;
    agent
      .get(ORIGIN)
      .intercept({ path: '/crm/customers/10001/address', method: 'PUT' })
      .reply(200, (opts) => {
        seen = { body: String(opts.body), headers: opts.headers as Record<string, string> };
        return fixture('address-put-10001.fixture.json');
      });
    await crm.updateAddress('10001', addressToLegacy({ city: 'Potsdam' }), {
      idempotencyKey: 'k-9',
      headers: { authorization: 'Bearer t', 'idempotency-key': 'client-key', 'content-type': 'text/plain' },
    });
    expect(seen?.body).toBe('{"ADDRESS":{"CITY":"Potsdam"}}');
    expect(seen?.headers).toMatchObject({
      authorization: 'Bearer t',
      'idempotency-key': 'k-9',
      'content-type': 'application/json',
    });
  });
});
