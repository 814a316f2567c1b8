import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { arr, call, obj } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const put = (body: unknown, headers: Record<string, string> = {}) =>
  ({ method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }) as const;

describe('users', () => {
  it('returns a Zendesk user with its keys in order', async () => {
    const res = await call(sim.url, '/api/v2/users/1.json');
    const user = obj(obj(res.json).user);
    expect(Object.keys(user)).toEqual([
      'url',
      'id',
      'name',
      'email',
      'created_at',
      'updated_at',
      'time_zone',
      'iana_time_zone',
      'phone',
      'locale',
      'locale_id',
      'organization_id',
      'role',
      'verified',
      'external_id',
      'tags',
      'active',
      'last_login_at',
    ]);
    expect(user).toMatchObject({
      url: `${sim.url}/api/v2/users/1.json`,
      name: 'Anna Schmidt',
      email: 'anna.schmidt@example.com',
      phone: '+49 171 2345678',
      iana_time_zone: 'Europe/Berlin',
      role: 'end-user',
      external_id: '10001',
    });
    expect((await call(sim.url, '/api/v2/users/31')).status).toBe(404);
  });

  it('lists all 30 users with agents and admins among them, in legacy phone formats', async () => {
    const res = obj((await call(sim.url, '/api/v2/users.json?per_page=100')).json);
    const users = arr(res.users).map(obj);
    expect(res.count).toBe(30);
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(['end-user', 'agent', 'admin']));
    const phones = users.map((u) => u.phone);
    expect(phones).toContain('(555) 010-1234');
    expect(phones).toContain('0711/555123');
    expect(phones).toContain(null);
  });
});

describe('CRM customers', () => {
  it('returns the old CRM shape: UPPER_SNAKE, strings everywhere, legacy timestamps', async () => {
    const res = await call(sim.url, '/crm/customers/10001');
    expect(res.headers['content-type']).toBe('application/json;charset=UTF-8');
    expect(res.headers['x-rate-limit']).toBeUndefined();
    expect(res.json).toEqual({
      CUSTOMER_ID: '10001',
      FIRST_NAME: 'Anna',
      LAST_NAME: 'Schmidt',
      EMAIL_ADDR: 'anna.schmidt@example.com',
      PHONE_NO: '0171 2345678',
      CREDIT_LIMIT: '1500.00',
      ORDER_COUNT: '12',
      CREATED_TS: '20190312 141500',
      LAST_CONTACT_TS: '20240105 093000',
      STATUS_CD: 'A',
      VIP_FLG: 'N',
      ADDRESS: { STREET: 'Hauptstraße 12', CITY: 'Berlin', ZIP_CD: '10115', COUNTRY_CD: 'DE' },
    });
    expect((await call(sim.url, '/crm/customers/10001.json')).text).toBe(res.text);
  });

  it('maps customer 10000+n to user n, with some empty phone numbers and contact dates', async () => {
    const emptyPhone: string[] = [];
    const emptyContact: string[] = [];
    const statuses = new Set<unknown>();
    for (let n = 1; n <= 30; n++) {
      const c = obj((await call(sim.url, `/crm/customers/${10000 + n}`)).json);
      const u = obj(obj((await call(sim.url, `/api/v2/users/${n}`)).json).user);
      expect(`${String(c.FIRST_NAME)} ${String(c.LAST_NAME)}`).toBe(u.name);
      expect(Object.values(c).every((v) => typeof v === 'string' || typeof v === 'object')).toBe(true);
      if (c.PHONE_NO === '') emptyPhone.push(String(c.CUSTOMER_ID));
      if (c.LAST_CONTACT_TS === '') emptyContact.push(String(c.CUSTOMER_ID));
      statuses.add(c.STATUS_CD);
    }
    expect(emptyPhone.length).toBeGreaterThan(0);
    expect(emptyContact.length).toBeGreaterThan(0);
    expect(statuses).toEqual(new Set(['A', 'I', 'S']));
  });

  it('answers unknown customers with its own 404 body', async () => {
    const res = await call(sim.url, '/crm/customers/99');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ ERROR_CD: 'CUST_NOT_FOUND', ERROR_MSG: 'CUSTOMER 99 NOT FOUND' });
  });

  it('updates an address once per Idempotency-Key and validates the country', async () => {
    const body = { ADDRESS: { STREET: 'Neue Straße 1', ZIP_CD: '10117' } };
    const first = await call(sim.url, '/crm/customers/10001/address', put(body, { 'idempotency-key': 'addr-1' }));
    const again = await call(sim.url, '/crm/customers/10001/address', put(body, { 'idempotency-key': 'addr-1' }));
    expect(first.status).toBe(200);
    expect(obj(obj(first.json).ADDRESS)).toEqual({
      STREET: 'Neue Straße 1',
      CITY: 'Berlin',
      ZIP_CD: '10117',
      COUNTRY_CD: 'DE',
    });
    expect(again.headers['x-idempotency-lookup']).toBe('hit');
    expect(again.text).toBe(first.text);
    expect(sim.writes().map((w) => [w.key, w.idempotencyKey])).toEqual([['crm.address:10001', 'addr-1']]);
    const bad = await call(sim.url, '/crm/customers/10002/address', put({ ADDRESS: { COUNTRY_CD: 'Germany' } }));
    expect(bad.status).toBe(400);
    expect(obj(bad.json).ERROR_CD).toBe('VALIDATION_ERROR');
    const broken = await call(sim.url, '/crm/customers/10002/address', { ...put({}), body: '{nope' });
    expect(broken.status).toBe(400);
    expect(obj(broken.json).ERROR_CD).toBe('INVALID_REQUEST');
    expect(sim.writes()).toHaveLength(1);
  });
});
