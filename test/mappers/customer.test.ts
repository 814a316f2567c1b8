import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CustomerV1, CustomerV1Schema } from '../../contracts/v1/customer.js';
import { type CrmAdapter, createCrmAdapter } from '../../legacy-adapters/crm.js';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import {
  addressToLegacy,
  customerFromLegacy,
  customerNameFromLegacy,
  customerToLegacy,
  renderCustomerResponse,
} from '../../mappers/customer.js';
import { MappingError } from '../../mappers/mapping-error.js';

/**
 * Golden fixtures under test/fixtures/legacy/crm/: `customer-<id>`, `customer-not-found` and `address-put-10001` are
 * recorded from the simulator (re-record with `vitest -u` after a deliberate simulator change); the rest are
 * hand-written edge cases. `.fixture.json` keeps Biome from reformatting the recorded bytes.
 */
const RECORDED = [10001, 10002, 10005, 10006, 10009, 10011, 10016, 10017, 10023, 10029];
const fixturePath = (name: string) => `../fixtures/legacy/crm/${name}`;
const fixtureBytes = (name: string) => readFileSync(new URL(fixturePath(name), import.meta.url));
const fixture = (name: string): unknown => JSON.parse(fixtureBytes(name).toString('utf8'));

let sim: Simulator;
let http: LegacyHttp;
let crm: CrmAdapter;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  http = createLegacyHttp({ url: sim.url, system: 'crm' });
  crm = createCrmAdapter(http);
});
afterAll(async () => {
  await http.close();
  await sim.close();
});

describe('recorded CRM fixtures', () => {
  it('the simulator still answers exactly the committed fixtures (drift check)', async () => {
    sim.reset();
    for (const id of RECORDED) {
      const { response } = await crm.getCustomer(String(id));
      expect(response.status).toBe(200);
      await expect(response.body.toString('utf8')).toMatchFileSnapshot(fixturePath(`customer-${id}.fixture.json`));
    }
    const missing = await crm.getCustomer('10099');
    expect(missing.response.status).toBe(404);
    await expect(missing.response.body.toString('utf8')).toMatchFileSnapshot(
      fixturePath('customer-not-found.fixture.json'),
    );
    const put = await crm.updateAddress('10001', addressToLegacy({ city: 'Potsdam', postalCode: '14467' }), {
      idempotencyKey: 'fixture-address-put',
    });
    expect(put.response.status).toBe(200);
    await expect(put.response.body.toString('utf8')).toMatchFileSnapshot(fixturePath('address-put-10001.fixture.json'));
    sim.reset();
  });

  it('maps each recorded fixture onto CustomerV1 and renders the exact recorded bytes back', () => {
    for (const name of [...RECORDED.map((id) => `customer-${id}.fixture.json`), 'address-put-10001.fixture.json']) {
      const raw = fixtureBytes(name).toString('utf8');
      const { value, carry } = customerFromLegacy(JSON.parse(raw));
      expect(CustomerV1Schema.parse(value)).toEqual(value);
      expect(carry.gaps).toEqual([]);
      expect(renderCustomerResponse(value, carry)).toBe(raw);
    }
  });

  it('maps customer 10001 field by field (Europe/Berlin wall clock → UTC)', () => {
    const expected: CustomerV1 = {
      id: 10001,
      firstName: 'Anna',
      lastName: 'Schmidt',
      email: 'anna.schmidt@example.com',
      phone: '+491712345678',
      creditLimit: { amount: '1500.00', currency: 'EUR' },
      orderCount: 12,
      createdAt: '2019-03-12T13:15:00Z',
      lastContactAt: '2024-01-05T08:30:00Z',
      status: 'active',
      vip: false,
      address: { street: 'Hauptstraße 12', city: 'Berlin', postalCode: '10115', country: 'DE' },
    };
    expect(customerFromLegacy(fixture('customer-10001.fixture.json')).value).toEqual(expected);
  });

  it('reads the name alone as the full mapping does (blank → null), whatever the other fields hold', () => {
    for (const id of RECORDED) {
      const json = fixture(`customer-${id}.fixture.json`);
      const { firstName, lastName } = customerFromLegacy(json).value;
      expect(customerNameFromLegacy(json)).toEqual({ firstName, lastName });
    }
    const broken = { ...(fixture('customer-10001.fixture.json') as object), PHONE_NO: 'not a phone', LAST_NAME: ' ' };
    expect(() => customerFromLegacy(broken)).toThrow(MappingError);
    expect(customerNameFromLegacy(broken)).toEqual({ firstName: 'Anna', lastName: null });
    expect(() => customerNameFromLegacy({ FIRST_NAME: 7 })).toThrow(MappingError);
    expect(() => customerNameFromLegacy([])).toThrow(MappingError);
  });

  it('normalises the CRM quirks of the recorded customers', () => {
    const map = (id: number) => customerFromLegacy(fixture(`customer-${id}.fixture.json`)).value;
    // Upper-cased on import; US national phone with dots/dashes; USD for a US customer.
    expect(map(10005)).toMatchObject({ email: 'emma.johnson@example.com', phone: '+15550104477' });
    expect(map(10005).creditLimit).toEqual({ amount: '750.00', currency: 'USD' });
    expect(map(10006)).toMatchObject({ phone: null, lastContactAt: null });
    expect(map(10009).vip).toBe(true);
    expect(map(10011).status).toBe('inactive');
    expect(map(10016)).toMatchObject({ phone: '+447700900123', creditLimit: { amount: '1000.00', currency: 'GBP' } });
    expect(map(10017)).toMatchObject({ status: 'suspended', phone: '+48601234567' });
    expect(map(10023)).toMatchObject({ status: 'inactive', phone: null });
  });

  it('maps every seeded customer (10001..10030) live and renders the CRM bytes back', async () => {
    for (let id = 10001; id <= 10030; id++) {
      const { response, json } = await crm.getCustomer(String(id));
      const { value, carry } = customerFromLegacy(json);
      expect(CustomerV1Schema.parse(value)).toEqual(value);
      expect(renderCustomerResponse(value, carry)).toBe(response.body.toString('utf8'));
    }
  });

  it('the time zone is an option: read as UTC, a customer and its platform user share one creation instant', async () => {
    // The simulator writes its CRM clock in UTC (legacy-adapters/simulator/time.ts) while the documented default for
    // the real CRM is Europe/Berlin; the option is how a deployment states which one its CRM uses.
    const users = createLegacyHttp({ url: sim.url, system: 'ticketing' });
    try {
      const user = JSON.parse((await users.call('GET', '/api/v2/users/1.json')).body.toString('utf8')) as {
        user: { created_at: string };
      };
      const customer = fixture('customer-10001.fixture.json');
      expect(customerFromLegacy(customer, { timeZone: 'UTC' }).value.createdAt).toBe(user.user.created_at);
      expect(customerFromLegacy(customer).value.createdAt).not.toBe(user.user.created_at);
    } finally {
      await users.close();
    }
  });
});

describe('hand-written CRM edge cases', () => {
  const roundTrips = (payload: unknown) => {
    const { value, carry } = customerFromLegacy(payload);
    expect(CustomerV1Schema.parse(value)).toEqual(value);
    expect(JSON.stringify(customerToLegacy(value, carry))).toBe(JSON.stringify(payload));
    return { value, carry };
  };

  it('missing keys map to null and stay missing on the wire', () => {
    const { value } = roundTrips(fixture('customer-missing-fields.fixture.json'));
    expect(value).toMatchObject({ phone: null, lastContactAt: null, creditLimit: null, orderCount: null });
    expect(value.address).toEqual({ street: null, city: null, postalCode: null, country: null });
  });

  it('JSON nulls map to null and render back as nulls', () => {
    const { value } = roundTrips(fixture('customer-nulls.fixture.json'));
    expect(value).toMatchObject({ firstName: null, phone: null, creditLimit: null, lastContactAt: null });
    expect(value.address.street).toBeNull();
  });

  it('unmodelled fields, nested ones too, are carried through in place and reported as gaps', () => {
    const { value, carry } = roundTrips(fixture('customer-extra-fields.fixture.json'));
    expect(carry.gaps).toEqual(['customer.SEGMENT_CD', 'customer.NOTES_TXT', 'customer.ADDRESS.STATE_CD']);
    expect(value).not.toHaveProperty('SEGMENT_CD');
  });

  it('odd but valid spellings normalise, and render back exactly while unchanged', () => {
    const { value, carry } = roundTrips(fixture('customer-quirks.fixture.json'));
    expect(value).toMatchObject({
      id: 10031,
      email: 'mixed.case@example.com',
      creditLimit: { amount: '1500.00', currency: 'EUR' },
      orderCount: 7,
      createdAt: '2019-03-11T23:00:00Z',
      status: 'active',
      vip: true,
    });
    expect(value.address.country).toBe('DE');
    // A changed value is rendered canonically; untouched neighbours keep their legacy spelling.
    const changed = customerToLegacy({ ...value, orderCount: 8 }, carry);
    expect(changed).toMatchObject({ ORDER_COUNT: '8', CREDIT_LIMIT: '1500', STATUS_CD: ' a' });
  });

  it('resolves wall-clock times next to DST changes (two-pass zone offset)', () => {
    const { value } = roundTrips(fixture('customer-dst.fixture.json'));
    // 01:30 CET on the spring-forward day is 00:30Z; 01:30 CEST on the fall-back day is 23:30Z the day before.
    expect(value.createdAt).toBe('2024-03-31T00:30:00Z');
    expect(value.lastContactAt).toBe('2024-10-26T23:30:00Z');
  });

  it('an unknown status code is a MappingError naming the field and the known codes', () => {
    expect(() => customerFromLegacy(fixture('customer-unknown-status.fixture.json'))).toThrow(
      /customer\.STATUS_CD: "X" \(known: A, I, S\)/,
    );
  });

  it('a payload that breaks the CRM schema is one MappingError listing every broken field', () => {
    try {
      customerFromLegacy(fixture('customer-broken.fixture.json'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MappingError);
      const issues = (e as MappingError).issues.join('\n');
      for (const path of ['CREDIT_LIMIT', 'CREATED_TS', 'PHONE_NO', 'VIP_FLG', 'ADDRESS.COUNTRY_CD']) {
        expect(issues).toContain(`customer.${path}`);
      }
    }
    expect(() => customerFromLegacy(null)).toThrow(MappingError);
    expect(() => customerFromLegacy([])).toThrow(MappingError);
    expect(() => customerFromLegacy({ ...(fixture('customer-10001.fixture.json') as object), ADDRESS: 'x' })).toThrow(
      MappingError,
    );
  });

  it('huge strings (1 MiB) map and render back byte-identically', () => {
    const big = 'Ä'.repeat(1 << 20);
    const base = fixture('customer-10001.fixture.json') as Record<string, unknown>;
    const payload = { ...base, FIRST_NAME: big, ADDRESS: { ...(base.ADDRESS as object), STREET: big } };
    const { value } = roundTrips(payload);
    expect(value.firstName).toHaveLength(1 << 20);
    // A 1 MiB non-address in EMAIL_ADDR fails fast as a MappingError, not a hang or a TypeError.
    expect(() => customerFromLegacy({ ...base, EMAIL_ADDR: `${'a'.repeat(1 << 20)}@` })).toThrow(MappingError);
  });

  it('non-UTF-8 bytes: decoded leniently they map with U+FFFD (the adapter itself refuses them)', () => {
    const bytes = fixtureBytes('customer-invalid-utf8.fixture.bin');
    expect(bytes.includes(0xff)).toBe(true);
    const { value } = customerFromLegacy(JSON.parse(bytes.toString('utf8')));
    expect(CustomerV1Schema.parse(value).lastName).toContain('\uFFFD');
  });

  it('refuses to render a credit limit in a currency the CRM does not keep for the country', () => {
    const { value } = customerFromLegacy(fixture('customer-10001.fixture.json'));
    expect(() => customerToLegacy({ ...value, creditLimit: { amount: '10.00', currency: 'USD' } })).toThrow(
      /CREDIT_LIMIT: USD given, the CRM keeps EUR for country DE/,
    );
  });

  it('addressToLegacy builds the PUT body: only given fields, null clears', () => {
    expect(addressToLegacy({ street: 'Am Markt 1', postalCode: null })).toEqual({ STREET: 'Am Markt 1', ZIP_CD: '' });
    expect(Object.keys(addressToLegacy({ street: null, city: 'X', postalCode: '1', country: 'DE' }))).toEqual([
      'STREET',
      'CITY',
      'ZIP_CD',
      'COUNTRY_CD',
    ]);
  });
});
