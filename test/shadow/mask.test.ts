import { describe, expect, it } from 'vitest';
import { createMasker } from '../../src/shadow/mask.js';
import type { DiffRecord } from '../../src/shadow/types.js';
import { loadPiiCorpus } from '../fixtures/pii/corpus.js';

/** `redact` keeps free text readable (detector-based); the default `hash` is tested in its own block below. */
const masker = createMasker({ key: 'test-key-1', freeText: 'redact' });
const TOKEN = /^‹pii:[0-9a-f]{10}›$/;
const json = (v: unknown): string => JSON.stringify(v);

function record(over: Partial<DiffRecord> = {}): DiffRecord {
  return {
    id: 'r1',
    at: '2024-05-01T10:00:00.000Z',
    slice: 'customers.get',
    route: 'customers.get',
    requestId: 'req-1',
    tenant: 'acme',
    channel: 'web',
    contract: 'CustomerV1',
    method: 'GET',
    path: '/crm/customers/10001',
    result: 'value_mismatch',
    fields: [],
    noise: [],
    schemaIssues: [],
    gaps: [],
    legacy: { status: 200, body: null },
    candidate: { status: 200, body: null },
    ...over,
  };
}

describe('keyed hashes', () => {
  it('are stable for one key, differ between values, and depend on the key', () => {
    const other = createMasker({ key: Buffer.from('another key') });
    expect(masker.hash('anna@example.com')).toMatch(TOKEN);
    expect(masker.hash('anna@example.com')).toBe(createMasker({ key: 'test-key-1' }).hash('anna@example.com'));
    expect(masker.hash('anna@example.com')).not.toBe(masker.hash('anna@example.org'));
    expect(masker.hash('anna@example.com')).not.toBe(other.hash('anna@example.com'));
  });

  it('keep "same" and "different" visible in a field diff', () => {
    const r = masker.maskRecord(
      record({
        fields: [
          { path: 'lastName', kind: 'changed', comparator: 'strict', legacy: 'Müller', candidate: 'Mueller' },
          { path: 'address.city', kind: 'changed', comparator: 'strict', legacy: 'Köln', candidate: 'Köln' },
        ],
      }),
    );
    const [name, city] = r.fields;
    expect(name?.legacy).toMatch(TOKEN);
    expect(name?.legacy).not.toBe(name?.candidate);
    expect(city?.legacy).toMatch(TOKEN);
    expect(city?.legacy).toBe(city?.candidate);
    expect(name?.path).toBe('lastName');
  });
});

describe('PII fields by name', () => {
  it('hashes PII fields in camelCase, snake_case and UPPER_SNAKE, leaves the rest', () => {
    const body = {
      CUSTOMER_ID: '10001',
      FIRST_NAME: 'Anna',
      last_name: 'Schmidt',
      fullName: 'Anna Schmidt',
      EMAIL_ADDR: 'ANNA.SCHMIDT@EXAMPLE.COM',
      PHONE_NO: '0171 2345678',
      mobile: '+49 171 2345678',
      ZIP_CD: '10115',
      postalCode: 10115,
      iban: 'DE89370400440532013000',
      dateOfBirth: '1990-04-01',
      requesterEmail: 'anna.schmidt@example.com',
      customerName: 'Anna Schmidt',
      productName: 'Blue Kettle',
      status: 'active',
      vip: false,
      email: null,
      verified: true,
      createdAt: '2024-01-05T10:00:00Z',
      tags: ['vip', 'de'],
    };
    const out = masker.maskValue(body) as Record<string, unknown>;
    for (const k of [
      'FIRST_NAME',
      'last_name',
      'fullName',
      'EMAIL_ADDR',
      'PHONE_NO',
      'mobile',
      'ZIP_CD',
      'postalCode',
      'iban',
      'dateOfBirth',
      'requesterEmail',
      'customerName',
    ]) {
      expect(out[k], k).toMatch(TOKEN);
    }
    expect(out).toMatchObject({
      CUSTOMER_ID: '10001',
      productName: 'Blue Kettle',
      status: 'active',
      vip: false,
      email: null,
      verified: true,
      createdAt: '2024-01-05T10:00:00Z',
      tags: ['vip', 'de'],
    });
    expect(out.fullName).toBe(out.customerName);
  });

  it('hashes every leaf under a PII container, and judges a diff path by all its segments', () => {
    const out = masker.maskValue({ ADDRESS: { STREET: 'Hauptstraße 12', CITY: 'Berlin', COUNTRY_CD: 'DE' } }) as {
      ADDRESS: Record<string, string>;
    };
    expect(Object.values(out.ADDRESS).every((v) => TOKEN.test(v))).toBe(true);
    expect(masker.maskValue('DE', 'address.country')).toMatch(TOKEN);
    expect(masker.maskValue('DE', '$effects[0].payload.address.country')).toMatch(TOKEN);
    expect(masker.maskValue('Berlin', 'customers[3].city')).toMatch(TOKEN);
    expect(masker.maskValue('DE', 'country')).toBe('DE');
  });

  it('strips secrets in bodies instead of hashing them', () => {
    const out = masker.maskValue({
      password: 'hunter2',
      token: 'abc',
      apiKey: 'k-123',
      access_token: 'x',
      nested: { clientSecret: 's', refreshToken: { v: 1 } },
    });
    expect(out).toEqual({
      password: '[stripped]',
      token: '[stripped]',
      apiKey: '[stripped]',
      access_token: '[stripped]',
      nested: { clientSecret: '[stripped]', refreshToken: '[stripped]' },
    });
  });
});

describe('PII inside free text', () => {
  it('replaces e-mails, phones, cards, IBANs and addresses with the hash a field of that value gets', () => {
    const text =
      'Hi, this is about A-1001. Mail me at anna.schmidt@example.com or call +49 171 2345678 / 0171 2345678. ' +
      'Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00. I moved to Hauptstraße 12, 10115 Berlin.';
    const out = masker.maskValue({ description: text }) as { description: string };
    for (const v of [
      'anna.schmidt@example.com',
      '171 2345678',
      '4111 1111 1111 1111',
      'DE89 3704',
      'Hauptstraße 12',
      '10115',
    ]) {
      expect(out.description).not.toContain(v);
    }
    expect(out.description).toContain('A-1001');
    const digest = masker.hash('anna.schmidt@example.com').slice(5, -1);
    expect(out.description).toContain(`‹email:${digest}›`);
    expect(out.description).toMatch(/‹phone:[0-9a-f]{10}›/);
    expect(out.description).toMatch(/‹card:[0-9a-f]{10}›/);
    expect(out.description).toMatch(/‹iban:[0-9a-f]{10}›/);
    expect(out.description).toMatch(/‹address:[0-9a-f]{10}›/);
  });

  it('removes every annotated value of the seeded PII corpus from free-text fields, and keeps its look-alikes', () => {
    const corpus = loadPiiCorpus();
    const leaks: string[] = [];
    const lost: string[] = [];
    for (const e of corpus) {
      const out = json(masker.maskValue({ comment: e.text, payload: { message: e.text } }));
      for (const p of e.pii) if (out.includes(p.value)) leaks.push(`${p.kind}: ${p.value}`);
      for (const k of e.keep) if (!out.includes(k)) lost.push(k);
    }
    expect(corpus.length).toBeGreaterThan(100);
    expect(leaks).toEqual([]);
    expect(lost).toEqual([]);
  });

  it('finds precise PII (e-mail, IBAN, card, phone) in any string, addresses only in free text', () => {
    const out = masker.maskValue({
      customFields: [
        { id: 7, value: 'anna.schmidt@example.com' },
        { id: 8, value: 'Hauptstraße 12' },
      ],
      tags: ['+49 171 2345678'],
    });
    expect(json(out)).not.toContain('anna.schmidt');
    expect(json(out)).not.toContain('2345678');
    expect(json(out)).toContain('Hauptstraße 12');
  });

  it('masks names from the record\u2019s name fields wherever else they occur, in any case', () => {
    const r = masker.maskRecord(
      record({
        legacy: {
          status: 200,
          body: { FIRST_NAME: 'Anna', LAST_NAME: 'Schmidt', ADDRESS: { CITY: 'Berlin' }, time_zone: 'Berlin' },
        },
        candidate: { status: 200, body: { subject: 'Call back ANNA SCHMIDT', note: 'frau schmidt, berlin' } },
        error: 'candidate failed for Anna Schmidt',
      }),
    );
    const out = json(r);
    expect(out).not.toMatch(/anna|schmidt|berlin/i);
    expect((r.candidate.body as { subject: string }).subject).toBe(
      `Call back ${masker.hash('Anna')} ${masker.hash('Schmidt')}`,
    );
  });

  it('does not find a name that no name field of the record carries (documented limit)', () => {
    expect(masker.maskValue({ text: 'Regards, Anna' })).toEqual({ text: 'Regards, Anna' });
  });

  it('finds a street outside the detector\u2019s EN/DE patterns only through a structured field (documented limit)', () => {
    const text = 'Nouvelle adresse : 12 Rue de Rivoli, Paris';
    expect(json(masker.maskValue({ text }))).toContain('Rue de Rivoli');
    expect(json(masker.maskValue({ text, address: { street: '12 Rue de Rivoli', city: 'Paris' } }))).not.toMatch(
      /Rivoli|Paris/,
    );
  });
});

describe('free text, default mode (hash)', () => {
  const hashing = createMasker({ key: 'test-key-1' });
  it('stores a keyed hash and the length of free text: equal texts stay equal, nothing of the text is kept', () => {
    const a = hashing.maskValue({ subject: 'Call back Anna Schmidt at 12 Rue de Rivoli', status: 'open' }) as Record<
      string,
      string
    >;
    const b = hashing.maskValue({ subject: 'Call back Anna Schmidt at 12 Rue de Rivoli' }) as Record<string, string>;
    expect(a.subject).toMatch(/^‹text:[0-9a-f]+ 42 chars›$/);
    expect(a.subject).toBe(b.subject);
    expect(a.status).toBe('open');
    expect(JSON.stringify(a)).not.toMatch(/Anna|Schmidt|Rivoli/);
    const other = hashing.maskValue({ subject: 'Call back Anna Schmidt at 12 Rue de Rivoli!' }) as Record<
      string,
      string
    >;
    expect(other.subject).not.toBe(a.subject);
  });
});

describe('headers and query parameters', () => {
  it('strips secret headers, hashes PII headers, keeps the rest', () => {
    const out = masker.maskHeaders({
      authorization: 'Bearer abc.def',
      'Proxy-Authorization': 'Basic eDp5',
      cookie: 'sid=1',
      'set-cookie': ['a=1', 'b=2'],
      'x-api-key': 'k',
      'X-Auth-Token': 't',
      'x-forwarded-for': '203.0.113.9',
      'x-customer-email': 'anna@example.com',
      'content-type': 'application/json',
      'content-length': 42,
      'x-missing': undefined,
    });
    expect(out).toMatchObject({
      authorization: '[stripped]',
      'Proxy-Authorization': '[stripped]',
      cookie: '[stripped]',
      'set-cookie': '[stripped]',
      'x-api-key': '[stripped]',
      'X-Auth-Token': '[stripped]',
      'content-type': 'application/json',
      'content-length': '42',
    });
    expect(out['x-forwarded-for']).toMatch(TOKEN);
    expect(out['x-customer-email']).toMatch(TOKEN);
    expect('x-missing' in out).toBe(false);
  });

  it('strips secret query parameters, hashes PII ones, and scans path segments', () => {
    const path =
      '/api/v2/users/anna.schmidt%40example.com/tickets?page=2&token=t1&access_token=t2&api_key=t3&key=t4' +
      '&password=t5&secret=t6&signature=t7&email=anna%40example.com&phone=%2B491712345678&flag';
    const out = masker.maskPath(path);
    for (const t of ['t1', 't2', 't3', 't4', 't5', 't6', 't7', 'anna', '2345678']) expect(out).not.toContain(t);
    expect(out).toContain('/api/v2/users/‹email:');
    expect(out).toContain('page=2');
    expect(out).toContain('token=[stripped]');
    expect(out).toContain('signature=[stripped]');
    expect(out).toMatch(/email=‹pii:[0-9a-f]{10}›/);
    expect(out).toMatch(/&flag$/);
    expect(masker.maskRecord(record({ path })).path).toBe(out);
  });
});

describe('records', () => {
  it('masks bodies, effect payloads, diff values, noise, schema messages and errors without touching the input', () => {
    const input = record({
      legacy: {
        status: 200,
        body: { email: 'anna@example.com' },
        effects: [
          {
            system: 'crm',
            operation: 'crm.address',
            target: '10001',
            payload: { street: 'Hauptstraße 12', postalCode: '10115', note: 'ring at anna@example.com' },
          },
        ],
      },
      candidate: { status: 500, body: { message: 'no customer anna@example.com' }, durationMs: 12.5 },
      noise: [{ path: 'phone', kind: 'changed', comparator: 'phone', legacy: '0171 1', candidate: '0171 2' }],
      schemaIssues: [{ side: 'candidate', path: 'email', message: 'bad value anna@example.com' }],
      error: 'timeout while writing to anna@example.com',
      replay: 'run-7',
    });
    const before = json(input);
    const out = masker.maskRecord(input);
    expect(json(input)).toBe(before);
    expect(json(out)).not.toContain('anna@example.com');
    expect(json(out)).not.toContain('Hauptstraße');
    expect(out.legacy.effects?.[0]).toMatchObject({ system: 'crm', operation: 'crm.address', target: '10001' });
    expect(out.candidate.durationMs).toBe(12.5);
    expect(out.noise[0]?.legacy).toMatch(TOKEN);
    expect(out).toMatchObject({
      id: 'r1',
      slice: 'customers.get',
      tenant: 'acme',
      replay: 'run-7',
      result: 'value_mismatch',
    });
  });
});

describe('odd input', () => {
  it('never throws, and bounds depth, string size and array length', () => {
    let deep: unknown = 'anna@example.com';
    for (let i = 0; i < 200; i++) deep = { a: deep };
    expect(json(masker.maskValue(deep))).toContain('[truncated: depth]');

    const cyclic: Record<string, unknown> = { name: 'x' };
    cyclic.self = cyclic;
    expect(() => masker.maskValue(cyclic)).not.toThrow();

    const huge = `${'a'.repeat(1_000_000)} anna@example.com`;
    const masked = masker.maskValue({ text: huge }) as { text: string };
    expect(masked.text.length).toBeLessThan(40_000);
    expect(masked.text).not.toContain('anna@example.com');

    const many = masker.maskValue(Array.from({ length: 5000 }, (_, i) => i)) as unknown[];
    expect(many).toHaveLength(1001);

    expect(
      masker.maskValue({
        buf: Buffer.from('secret'),
        when: new Date(0),
        big: 10n,
        fn: () => 1,
        nan: Number.NaN,
        undef: undefined,
        sym: Symbol('s'),
      }),
    ).toEqual({ buf: '[binary 6 bytes]', when: '1970-01-01T00:00:00.000Z', big: '10', nan: null });

    for (const odd of [{}, { fields: null, legacy: 'x', candidate: 7 }, null, 'str']) {
      expect(() => masker.maskRecord(odd as unknown as DiffRecord)).not.toThrow();
    }
    expect(masker.maskRecord({ fields: null } as unknown as DiffRecord).fields).toEqual([]);
    expect(masker.maskRecord(null as unknown as DiffRecord).legacy.body).toBe('[unmaskable]');
    expect(() => masker.maskHeaders(null as unknown as Record<string, string>)).not.toThrow();
    expect(masker.maskPath('/%E0%A4%A?email=%E0%A4%A')).not.toContain('%E0%A4%A?email=%E0');
  });
});
