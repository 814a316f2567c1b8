import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, seedCustomer, seedUser } from '../../legacy-adapters/simulator/seed-people.js';
import { GatewayError } from '../../src/errors.js';
import { createMasker } from '../../src/shadow/mask.js';
import { type CountingDiffStore, createDiffStore } from '../../src/shadow/store/index.js';
import type { DiffRecord, FieldDiff, ResultClass } from '../../src/shadow/types.js';
import { forbidden, leaks, timeZoneFree } from '../helpers/pii.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Every key this run writes starts with this; all of them are deleted afterwards. */
const RUN = `test:diffstore:${process.pid}:${randomUUID().slice(0, 8)}:`;
let admin: Redis;
let n = 0;
const prefix = () => `${RUN}${++n}:`;

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
});

afterAll(async () => {
  const keys = await keysUnder(RUN);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

async function keysUnder(p: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 500);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

const diff = (path: string, legacy: unknown = 'a', candidate: unknown = 'b'): FieldDiff => ({
  path,
  kind: 'changed',
  comparator: 'strict',
  legacy,
  candidate,
});

interface Spec {
  slice?: string;
  result?: ResultClass;
  tenant?: string | null;
  channel?: string | null;
  fields?: string[];
  noise?: string[];
  replay?: string;
  at?: string;
  body?: unknown;
}

function rec(i: number, s: Spec = {}): DiffRecord {
  return {
    id: `caller-${i}`,
    at: s.at ?? new Date(Date.UTC(2024, 4, 1, 10, 0, i)).toISOString(),
    slice: s.slice ?? 'tickets.get',
    route: s.slice ?? 'tickets.get',
    requestId: `req-${i}`,
    tenant: s.tenant === undefined ? 'acme' : s.tenant,
    channel: s.channel === undefined ? 'web' : s.channel,
    contract: 'TicketV1',
    method: 'GET',
    path: `/api/v2/tickets/${i}`,
    result: s.result ?? 'match',
    fields: (s.fields ?? []).map((p) => diff(p)),
    noise: (s.noise ?? []).map((p) => ({ ...diff(p), noise: 'learned' as const })),
    schemaIssues: [],
    gaps: [],
    legacy: { status: 200, body: s.body ?? { n: i } },
    candidate: { status: 200, body: { n: i }, durationMs: 3 },
    ...(s.replay ? { replay: s.replay } : {}),
  };
}

/** Follows cursors to the end (bounded), returning the request numbers in order. */
async function all(store: CountingDiffStore, q: Parameters<CountingDiffStore['list']>[0]): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const p = await store.list({ ...q, ...(cursor ? { cursor } : {}) });
    out.push(...p.items.map((r) => r.requestId));
    if (!p.nextCursor) return out;
    cursor = p.nextCursor;
  }
  throw new Error('listing did not end');
}

const backends: Array<[string, (cap: number) => Promise<CountingDiffStore>]> = [
  ['memory', (cap) => createDiffStore({ cap })],
  ['redis', (cap) => createDiffStore({ redisUrl: REDIS_URL, prefix: prefix(), cap })],
];

/** Hand-computed expectations below refer to these by number (1-based). */
const DATASET: Spec[] = [
  { result: 'match', noise: ['updatedAt'] },
  { result: 'value_mismatch', fields: ['status', 'tags[0]', 'tags[1]'] },
  { result: 'value_mismatch', channel: 'email', fields: ['status'] },
  { result: 'schema_error', tenant: 'beta' },
  { result: 'candidate_timeout', tenant: 'beta', channel: null },
  { result: 'mapping_gap', tenant: null, fields: ['customFields[3].value'], replay: 'run-1' },
  { slice: 'customers.get', result: 'match' },
  { slice: 'customers.get', result: 'candidate_error' },
  {
    slice: 'customers.get',
    result: 'value_mismatch',
    tenant: 'beta',
    fields: ['address.city', 'address.street'],
    noise: ['lastContactAt'],
  },
];

describe.each(backends)('%s diff store', (backend, make) => {
  async function seeded(): Promise<CountingDiffStore> {
    const store = await make(1000);
    for (const [i, s] of DATASET.entries()) await store.add(rec(i + 1, s));
    return store;
  }

  it('lists newest first and gets a record by the id the store gave it', async () => {
    const store = await seeded();
    expect(store.backend).toBe(backend);
    const page = await store.list({});
    expect(page.items.map((r) => r.requestId)).toEqual(DATASET.map((_, i) => `req-${i + 1}`).reverse());
    const first = page.items[page.items.length - 1] as DiffRecord;
    expect(first.id).not.toBe('caller-1');
    const { id: _a, ...stored } = (await store.get(first.id)) as DiffRecord;
    const { id: _b, ...original } = rec(1, DATASET[0]);
    expect(stored).toEqual(original);
    expect(await store.get('0-1')).toBeUndefined();
    expect(await store.get('no such id')).toBeUndefined();
    await store.close();
  });

  it('filters by slice, result, field, tenant, channel, replay and since', async () => {
    const store = await seeded();
    const ids = async (q: Parameters<CountingDiffStore['list']>[0]) =>
      (await all(store, q)).map((r) => Number(r.slice(4))).sort((a, b) => a - b);
    expect(await ids({ slice: 'customers.get' })).toEqual([7, 8, 9]);
    expect(await ids({ result: 'value_mismatch' })).toEqual([2, 3, 9]);
    expect(await ids({ field: 'status' })).toEqual([2, 3]);
    expect(await ids({ field: 'tags' })).toEqual([2]);
    expect(await ids({ field: 'tags[5]' })).toEqual([2]);
    expect(await ids({ field: 'address' })).toEqual([9]);
    expect(await ids({ field: 'address.ci' })).toEqual([]);
    expect(await ids({ field: 'customFields[].value' })).toEqual([6]);
    expect(await ids({ field: 'updatedAt' })).toEqual([]);
    expect(await ids({ tenant: 'beta' })).toEqual([4, 5, 9]);
    expect(await ids({ channel: 'email' })).toEqual([3]);
    expect(await ids({ replay: 'run-1' })).toEqual([6]);
    expect(await ids({ since: new Date(Date.UTC(2024, 4, 1, 10, 0, 7)).toISOString() })).toEqual([7, 8, 9]);
    expect(await ids({ slice: 'tickets.get', tenant: 'acme', field: 'status' })).toEqual([2, 3]);
    await store.close();
  });

  it('pages with cursors that stay stable while new records arrive', async () => {
    const store = await make(1000);
    for (let i = 1; i <= 30; i++) await store.add(rec(i));
    const seen: string[] = [];
    let page = await store.list({ limit: 10 });
    seen.push(...page.items.map((r) => r.requestId));
    for (let i = 31; i <= 35; i++) await store.add(rec(i));
    while (page.nextCursor) {
      page = await store.list({ limit: 10, cursor: page.nextCursor });
      seen.push(...page.items.map((r) => r.requestId));
      await store.add(rec(100 + seen.length));
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `req-${30 - i}`));
    expect((await store.list({ limit: 10 })).items[0]?.requestId).toMatch(/^req-1\d\d$/);
    for (let i = 0; i < 20; i++) await store.add(rec(200 + i));
    expect((await store.list({})).items).toHaveLength(50);
    await store.close();
  });

  it('rejects a cursor it did not make with GW_BAD_REQUEST', async () => {
    const store = await make(10);
    for (const cursor of ['garbage', Buffer.from(backend === 'redis' ? 'm:5' : 'r:1-0').toString('base64url')]) {
      const err = await store.list({ cursor }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('GW_BAD_REQUEST');
    }
    await store.close();
  });

  it('summarises per slice: result classes, mismatch rate, top fields, noise, tenants and channels', async () => {
    const store = await seeded();
    const s = await store.summary({});
    expect(s.total).toBe(9);
    const tickets = s.slices.find((x) => x.slice === 'tickets.get');
    const customers = s.slices.find((x) => x.slice === 'customers.get');
    expect(tickets).toEqual({
      slice: 'tickets.get',
      total: 6,
      byResult: {
        match: 1,
        value_mismatch: 2,
        schema_error: 1,
        mapping_gap: 1,
        candidate_error: 0,
        candidate_timeout: 1,
      },
      mismatchRate: 4 / 5,
      topFields: [
        { path: 'status', count: 2 },
        { path: 'customFields[].value', count: 1 },
        { path: 'tags[]', count: 1 },
      ],
      noiseFields: [{ path: 'updatedAt', count: 1 }],
    });
    expect(customers?.mismatchRate).toBe(1 / 2);
    expect(customers?.topFields).toEqual([
      { path: 'address.city', count: 1 },
      { path: 'address.street', count: 1 },
    ]);
    expect(s.byTenant).toEqual([
      { tenant: 'acme', total: 5, mismatches: 2 },
      { tenant: 'beta', total: 3, mismatches: 2 },
    ]);
    expect(s.byChannel).toEqual([
      { channel: 'web', total: 7, mismatches: 4 },
      { channel: 'email', total: 1, mismatches: 1 },
    ]);

    const one = await store.summary({ slice: 'customers.get' });
    expect(one.total).toBe(3);
    expect(one.slices.map((x) => x.slice)).toEqual(['customers.get']);
    expect(one.byTenant).toEqual([
      { tenant: 'acme', total: 2, mismatches: 0 },
      { tenant: 'beta', total: 1, mismatches: 1 },
    ]);

    const beta = await store.summary({ tenant: 'beta' });
    expect(beta.total).toBe(3);
    expect(beta.slices.map((x) => [x.slice, x.total, x.mismatchRate])).toEqual([
      ['customers.get', 1, 1],
      ['tickets.get', 2, 1],
    ]);
    expect((await store.summary({ slice: 'nothing.here' })).total).toBe(0);
    await store.close();
  });

  it('honours the cap while summary counters keep everything ever added', async () => {
    const cap = backend === 'redis' ? 50 : 20;
    const store = await make(cap);
    for (let i = 1; i <= 300; i++) {
      await store.add(rec(i, { result: i % 3 === 0 ? 'value_mismatch' : 'match', fields: i % 3 === 0 ? ['x'] : [] }));
    }
    const s = await store.summary({});
    expect(s.total).toBe(300);
    expect(s.slices[0]?.byResult.value_mismatch).toBe(100);
    expect(s.slices[0]?.topFields).toEqual([{ path: 'x', count: 100 }]);
    const kept = await all(store, { limit: 500 });
    expect(kept[0]).toBe('req-300');
    expect(kept.length).toBeGreaterThanOrEqual(cap);
    if (backend === 'memory') expect(kept).toHaveLength(cap);
    else {
      // MAXLEN ~ trims whole stream nodes only: the length stays within one node of the cap.
      const [, nodeSize] = (await admin.config('GET', 'stream-node-max-entries')) as [string, string];
      const keys = await keysUnder(RUN);
      const stream = (await Promise.all(keys.map(async (k) => [k, await admin.type(k)]))).filter(
        ([, t]) => t === 'stream',
      );
      const lengths = await Promise.all(stream.map(([k]) => admin.xlen(k as string)));
      const len = lengths.find((l) => l === kept.length);
      expect(len).toBeDefined();
      expect(len).toBeLessThan(cap + Number(nodeSize) + 1);
    }
    await store.close();
  });

  it('stores an oversized record without its bodies', async () => {
    const store = await make(10);
    await store.add(rec(1, { body: { blob: 'x'.repeat(400_000) }, fields: ['status'] }));
    const [r] = (await store.list({})).items;
    expect(r?.legacy.body).toMatchObject({ $dropped: 'record too large' });
    expect(r?.fields.map((f) => f.path)).toEqual(['status']);
    await store.close();
  });
});

describe('memory diff store specifics', () => {
  it('keeps the records within its byte budget, oldest out first, and always the newest', async () => {
    // ~200 KB records (under MAX_RECORD_CHARS, so their bodies stay) into a 1 MB budget: about five fit.
    const store = await createDiffStore({ cap: 1000, maxBytes: 1_000_000 });
    const big = (i: number) =>
      rec(i, { result: 'value_mismatch', fields: ['status'], body: { blob: 'y'.repeat(200_000) } });
    for (let i = 1; i <= 12; i++) await store.add(big(i));
    const kept = await all(store, { limit: 100 });
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThanOrEqual(5);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => `req-${12 - k}`));
    // Evicted records are gone from get() too; the summary still counts all twelve.
    const page = await store.list({ limit: 1 });
    expect(page.items[0]?.legacy.body).toMatchObject({ blob: expect.any(String) });
    expect((await store.summary({})).total).toBe(12);
    // Small records fill back up to the count cap once the large ones have gone.
    for (let i = 13; i <= 1012; i++) await store.add(rec(i));
    expect(await all(store, { limit: 500 })).toHaveLength(1000);
    await store.close();
  });

  it('counts the budget in UTF-8 bytes: multi-byte text takes what it weighs', async () => {
    // 100,000 characters of 'é' are 200,000 bytes: about four such records fit in 1 MB (nine if characters counted).
    const store = await createDiffStore({ cap: 1000, maxBytes: 1_000_000 });
    for (let i = 1; i <= 12; i++)
      await store.add(rec(i, { result: 'value_mismatch', fields: ['status'], body: { blob: 'é'.repeat(100_000) } }));
    const kept = await all(store, { limit: 100 });
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThanOrEqual(5);
    expect((await store.get((await store.list({ limit: 1 })).items[0]?.id ?? ''))?.legacy.body).toEqual({
      blob: 'é'.repeat(100_000),
    });
    await store.close();
  });

  it('keeps the records outside the V8 heap (array buffers grow with what it holds)', async () => {
    // A full collection before each reading, so buffers earlier tests left for the collector cannot skew them.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // V8 frees dead array buffers' memory after a collection, on a background sweeper that runs late on a busy
    // machine: read only once two collections in a row leave the figure unchanged.
    const settled = async (): Promise<number> => {
      let last = Number.NaN;
      for (let i = 0; i < 50; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = process.memoryUsage().arrayBuffers;
        if (now === last) return now;
        last = now;
      }
      return last;
    };
    const store = await createDiffStore({ cap: 1000 });
    const before = await settled();
    for (let i = 1; i <= 200; i++)
      await store.add(rec(i, { result: 'value_mismatch', fields: ['status'], body: { blob: 'z'.repeat(10_000) } }));
    // 200 records of ~10 KB: at least 1.9 MB of external memory while they are kept.
    expect((await settled()) - before).toBeGreaterThan(1_900_000);
    expect(await all(store, { limit: 500 })).toHaveLength(200);
    await store.close();
  });
});

describe('redis diff store specifics', () => {
  it('examines a bounded number of entries per page and hands back a cursor', async () => {
    const store = await createDiffStore({ redisUrl: REDIS_URL, prefix: prefix(), cap: 1000 });
    await store.add(rec(1, { slice: 'rare' }));
    for (let i = 2; i <= 101; i++) await store.add(rec(i));
    const first = await store.list({ slice: 'rare', limit: 2 });
    expect(first.items).toEqual([]);
    expect(first.nextCursor).not.toBeNull();
    expect(await all(store, { slice: 'rare', limit: 2 })).toEqual(['req-1']);
    await store.close();
  });

  it('never hangs without Redis: the store comes up, add rejects fast and counts the drop', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const store = await createDiffStore({
      redisUrl: `redis://127.0.0.1:${port}`,
      prefix: prefix(),
      connectTimeoutMs: 300,
    });
    expect(store.backend).toBe('redis');
    await expect(store.add(rec(1))).rejects.toThrow();
    await expect(store.add(rec(2))).rejects.toThrow();
    expect(store.dropped()).toBe(2);
    await expect(store.list({})).rejects.toThrow();
    await store.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('PII never reaches Redis', () => {
  const masker = createMasker({ key: 'diff-store-pii-test', freeText: 'redact' });
  /** Records of four slices per seeded person, as the shadow runner would build them before masking. */
  function personRecords(n: number): DiffRecord[] {
    const [first, last, , , userPhone, crmPhone, street, city, zip, country] = PEOPLE[n - 1] as (typeof PEOPLE)[number];
    const user = seedUser(n);
    const customer = seedCustomer(n);
    const e164 = parsePhoneNumberFromString(crmPhone || userPhone || '', country as CountryCode)?.number ?? null;
    const contract = {
      id: 10000 + n,
      firstName: first,
      lastName: last,
      email: user.email.toLowerCase(),
      phone: e164,
      address: { street, city, postalCode: zip, country },
    };
    const contact = `Hi, this is ${first} ${last.toUpperCase()}. Call me on ${userPhone ?? crmPhone} or write to ${customer.EMAIL_ADDR}.`;
    const address = ['GB', 'IE', 'US'].includes(country) ? `${street}, ${city} ${zip}` : `${street}, ${zip} ${city}`;
    const text = `${contact} My new address: ${address}.`;
    const move = `Please change my address to ${address}, I moved last week.`;
    const base = rec(n, { tenant: 'acme', channel: 'email', result: 'value_mismatch' });
    return [
      {
        ...base,
        slice: 'customers.get',
        path: `/crm/customers/${customer.CUSTOMER_ID}?email=${encodeURIComponent(user.email)}`,
        legacy: { status: 200, body: customer },
        candidate: { status: 200, body: contract },
        fields: [
          diff('phone', crmPhone, e164),
          diff('address.street', street, street.toUpperCase()),
          diff('email', customer.EMAIL_ADDR, user.email),
        ],
        noise: [{ ...diff('lastContactAt', customer.LAST_CONTACT_TS, null), noise: 'learned' }],
      },
      {
        ...base,
        slice: 'users.get',
        legacy: { status: 200, body: user },
        candidate: { status: 200, body: { ...user, name: `${last}, ${first}` } },
        fields: [diff('name', user.name, `${last}, ${first}`)],
      },
      {
        ...base,
        slice: 'tickets.create',
        method: 'POST',
        legacy: {
          status: 201,
          body: { ticket: { id: 900 + n, subject: `Address change for ${first} ${last}`, description: text } },
          effects: [
            {
              system: 'ticketing',
              operation: 'ticket.create',
              target: null,
              payload: { requester: { name: user.name, email: user.email }, comment: { body: text } },
            },
          ],
        },
        candidate: {
          status: 201,
          body: null,
          effects: [
            {
              system: 'crm',
              operation: 'crm.address',
              target: customer.CUSTOMER_ID,
              payload: { street, city, postalCode: zip, note: text },
            },
          ],
        },
        fields: [diff('$effects[0].payload.comment.body', text, text.toLowerCase())],
        error: `crm rejected ${user.email}`,
      },
      {
        ...base,
        slice: 'conversations.get',
        legacy: {
          status: 200,
          body: {
            messages: [
              { author: { role: 'customer', displayName: user.name }, text: contact },
              { author: { role: 'agent', displayName: 'Katrin Bauer' }, text: `Thanks ${first}, noted.` },
            ],
          },
        },
        candidate: { status: 200, body: null },
      },
      {
        // The address-change intent: the customer writes the address, the candidate would write it to the CRM.
        ...base,
        slice: 'intent.address_change',
        method: 'POST',
        legacy: { status: 202, body: { id: `conv-${n}-9`, text: move } },
        candidate: {
          status: 202,
          body: { id: `conv-${n}-9`, text: move },
          effects: [
            {
              system: 'crm',
              operation: 'crm.address',
              target: customer.CUSTOMER_ID,
              payload: { street, city, postalCode: zip, country },
            },
          ],
        },
        fields: [diff('$effects', [], [{ street, city }])],
      },
    ];
  }

  async function dump(p: string): Promise<string> {
    const parts: string[] = [];
    for (const key of await keysUnder(p)) {
      parts.push(key);
      const type = await admin.type(key);
      if (type === 'stream') for (const [id, f] of await admin.xrange(key, '-', '+')) parts.push(id, ...f);
      else if (type === 'hash') parts.push(...Object.entries(await admin.hgetall(key)).flat());
      else if (type === 'set') parts.push(...(await admin.smembers(key)));
      else parts.push(`unexpected ${type}`);
    }
    return parts.join('\n');
  }

  it('finds leaks when records are stored unmasked (the scan works)', async () => {
    const p = prefix();
    const store = await createDiffStore({ redisUrl: REDIS_URL, prefix: p, cap: 100 });
    for (const r of personRecords(1)) await store.add(r);
    const found = leaks(timeZoneFree(await dump(p)), forbidden(1));
    expect(found).toEqual(expect.arrayContaining(['Anna', 'Schmidt', 'anna.schmidt@example.com', '+491712345678']));
    await store.close();
  });

  it('stores no seeded name, e-mail, phone or address of any of the 30 people after masking', async () => {
    const p = prefix();
    const store = await createDiffStore({ redisUrl: REDIS_URL, prefix: p, cap: 1000 });
    for (let i = 1; i <= PEOPLE.length; i++) {
      for (const r of personRecords(i)) await store.add(masker.maskRecord(r));
    }
    const text = timeZoneFree(await dump(p));
    expect(text).toContain('‹pii:');
    const found: string[] = [];
    for (let i = 1; i <= PEOPLE.length; i++) found.push(...leaks(text, forbidden(i)).map((v) => `${i}: ${v}`));
    expect(found).toEqual([]);
    const page = await store.list({ slice: 'customers.get', limit: 1 });
    expect(page.items[0]?.fields.map((f) => f.path)).toEqual(['phone', 'address.street', 'email']);
    await store.close();
  });
});
