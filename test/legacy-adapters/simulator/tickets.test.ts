import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { arr, call, jsonBody, obj } from './helpers.js';

const TICKET_KEYS = [
  'url',
  'id',
  'external_id',
  'type',
  'subject',
  'raw_subject',
  'description',
  'priority',
  'status',
  'recipient',
  'requester_id',
  'submitter_id',
  'assignee_id',
  'organization_id',
  'group_id',
  'collaborator_ids',
  'follower_ids',
  'has_incidents',
  'is_public',
  'due_at',
  'tags',
  'custom_fields',
  'satisfaction_rating',
  'via',
  'brand_id',
  'allow_attachments',
  'created_at',
  'updated_at',
];

let sim: Simulator;
let base: string;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  base = sim.url;
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const ticketOf = (json: unknown) => obj(obj(json).ticket);

describe('GET /api/v2/tickets/{id}', () => {
  it('answers the same with and without .json, with Zendesk key order and headers', async () => {
    const a = await call(base, '/api/v2/tickets/1');
    const b = await call(base, '/api/v2/tickets/1.json');
    expect(a.status).toBe(200);
    expect(b.text).toBe(a.text);
    expect(Object.keys(ticketOf(a.json))).toEqual(TICKET_KEYS);
    expect(ticketOf(a.json).url).toBe(`${sim.url}/api/v2/tickets/1.json`);
    expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(a.headers.server).toBe('legacy-sim');
    expect(a.headers['x-rate-limit']).toBe('700');
    expect(Number(a.headers['x-rate-limit-remaining'])).toBe(Number(b.headers['x-rate-limit-remaining']) + 1);
    expect(a.headers.etag).toMatch(/^W\/"[0-9a-f]{16}"$/);
    expect(b.headers.etag).toBe(a.headers.etag);
    expect(a.headers['content-length']).toBe(String(a.raw.length));
    expect(a.headers['transfer-encoding']).toBeUndefined();
    expect(ticketOf(a.json).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('keeps the quirky seed tickets intact (non-ASCII, long subject, null type and priority)', async () => {
    const t13 = ticketOf((await call(base, '/api/v2/tickets/13.json')).json);
    expect(t13.subject).toBe('Rückerstattung für Bestellung – 😀');
    const t7 = ticketOf((await call(base, '/api/v2/tickets/7.json')).json);
    expect(String(t7.subject).length).toBeGreaterThan(250);
    const t99 = ticketOf((await call(base, '/api/v2/tickets/99.json')).json);
    expect([t99.type, t99.priority, t99.tags]).toEqual([null, null, []]);
    const t21 = ticketOf((await call(base, '/api/v2/tickets/21.json')).json);
    expect(t21.raw_subject).not.toBe(t21.subject);
  });

  it('answers 304 to a matching If-None-Match and HEAD with the same headers and no body', async () => {
    const first = await call(base, '/api/v2/tickets/2.json');
    const etag = String(first.headers.etag);
    const again = await call(base, '/api/v2/tickets/2.json', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.etag).toBe(etag);
    expect(again.raw.length).toBe(0);
    const stale = await call(base, '/api/v2/tickets/2.json', { headers: { 'if-none-match': 'W/"0000000000000000"' } });
    expect(stale.status).toBe(200);
    const head = await call(base, '/api/v2/tickets/2.json', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.raw.length).toBe(0);
    expect(head.headers['content-length']).toBe(first.headers['content-length']);
    expect(head.headers.etag).toBe(etag);
  });

  it('answers 404 RecordNotFound for unknown and non-numeric ids and unknown paths', async () => {
    for (const path of ['/api/v2/tickets/9999', '/api/v2/tickets/abc.json', '/api/v2/nope', '/']) {
      const res = await call(base, path);
      expect(res.status, path).toBe(404);
      expect(res.json).toEqual({ error: 'RecordNotFound', description: 'Not found' });
    }
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const res = await call(base, '/api/v2/tickets/1.json', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  });
});

describe('GET /api/v2/tickets', () => {
  it('gzips large bodies only when accepted, with a correct Content-Length', async () => {
    const plain = await call(base, '/api/v2/tickets.json?per_page=100');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
    const zipped = await call(base, '/api/v2/tickets.json?per_page=100', {
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-length']).toBe(String(zipped.raw.length));
    expect(zipped.raw.length).toBeLessThan(plain.raw.length);
    expect(gunzipSync(zipped.raw).toString('utf8')).toBe(plain.text);
    const small = await call(base, '/api/v2/users/1.json', { headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('paginates by offset with absolute next/previous links', async () => {
    const first = obj((await call(base, '/api/v2/tickets.json')).json);
    expect(arr(first.tickets)).toHaveLength(25);
    expect(first.count).toBe(120);
    expect(first.previous_page).toBeNull();
    expect(first.next_page).toBe(`${sim.url}/api/v2/tickets.json?page=2&per_page=25`);
    const last = obj((await call(base, '/api/v2/tickets?page=3&per_page=50')).json);
    expect(arr(last.tickets).map((t) => obj(t).id)).toEqual(Array.from({ length: 20 }, (_, i) => 101 + i));
    expect(last.next_page).toBeNull();
    expect(last.previous_page).toBe(`${sim.url}/api/v2/tickets.json?page=2&per_page=50`);
  });

  it('follows cursor pagination to the end and back without duplicates', async () => {
    const seen: number[] = [];
    let path: string | null = '/api/v2/tickets.json?page[size]=25';
    let pages = 0;
    let lastPage: Record<string, unknown> = {};
    while (path !== null) {
      const res = await call(base, path);
      lastPage = obj(res.json);
      const ids = arr(lastPage.tickets).map((t) => Number(obj(t).id));
      seen.push(...ids);
      const next = obj(lastPage.links).next;
      if (next === null) {
        expect(obj(lastPage.meta).has_more).toBe(false);
        expect(String(res.headers.link ?? '')).not.toContain('rel="next"');
        path = null;
      } else {
        expect(obj(lastPage.meta).has_more).toBe(true);
        expect(String(next)).toMatch(
          /^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/tickets\.json\?page%5Bsize%5D=25&page%5Bafter%5D=/,
        );
        expect(String(res.headers.link)).toContain(`<${String(next)}>; rel="next"`);
        path = String(next).slice(sim.url.length);
      }
      pages++;
    }
    expect(pages).toBe(5);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    const prev = obj(lastPage.links).prev;
    const back = obj((await call(base, String(prev).slice(sim.url.length))).json);
    expect(arr(back.tickets).map((t) => obj(t).id)).toEqual(Array.from({ length: 25 }, (_, i) => 76 + i));
  });

  it('rejects an unreadable cursor with 400', async () => {
    const res = await call(base, '/api/v2/tickets.json?page[size]=10&page[after]=garbage');
    expect(res.status).toBe(400);
    expect(obj(res.json).error).toBe('InvalidPaginationParameter');
  });
});

describe('ticket writes', () => {
  it('creates a ticket: 201, Location, then readable', async () => {
    const res = await call(
      base,
      '/api/v2/tickets.json',
      jsonBody({
        ticket: {
          subject: 'Broken zipper',
          comment: { body: 'The zipper broke.' },
          priority: 'high',
          tags: ['Returns Desk'],
        },
      }),
    );
    expect(res.status).toBe(201);
    const ticket = ticketOf(res.json);
    expect(ticket.id).toBe(121);
    expect(res.headers.location).toBe(`${sim.url}/api/v2/tickets/121.json`);
    expect(Object.keys(ticket)).toEqual(TICKET_KEYS);
    expect([ticket.status, ticket.priority, ticket.description]).toEqual(['new', 'high', 'The zipper broke.']);
    expect(ticket.tags).toEqual(['returns', 'desk']);
    expect((await call(base, '/api/v2/tickets/121')).status).toBe(200);
    expect(sim.writes().map((w) => w.key)).toEqual(['ticket.create:121']);
  });

  it('answers 422 RecordInvalid naming every missing field, and applies nothing', async () => {
    const res = await call(base, '/api/v2/tickets', jsonBody({ ticket: { priority: 'normal' } }));
    expect(res.status).toBe(422);
    expect(res.json).toEqual({
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: {
        subject: [{ description: 'Subject: cannot be blank', error: 'BlankValue' }],
        description: [{ description: 'Description: cannot be blank', error: 'BlankValue' }],
      },
    });
    expect(sim.writes()).toEqual([]);
  });

  it('updates with PUT and PATCH, deletes with 204, and refuses to update a closed ticket', async () => {
    const put = await call(base, '/api/v2/tickets/1.json', {
      ...jsonBody({ ticket: { status: 'solved' } }),
      method: 'PUT',
    });
    expect(put.status).toBe(200);
    expect(ticketOf(put.json).status).toBe('solved');
    const patch = await call(base, '/api/v2/tickets/1', {
      ...jsonBody({ ticket: { priority: 'low' } }),
      method: 'PATCH',
    });
    expect(ticketOf(patch.json).priority).toBe('low');
    const closed = await call(base, '/api/v2/tickets/5', {
      ...jsonBody({ ticket: { status: 'open' } }),
      method: 'PUT',
    });
    expect(closed.status).toBe(422);
    const del = await call(base, '/api/v2/tickets/1.json', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(del.raw.length).toBe(0);
    expect((await call(base, '/api/v2/tickets/1.json')).status).toBe(404);
    expect(sim.writes().map((w) => w.key)).toEqual(['ticket.update:1', 'ticket.update:1', 'ticket.delete:1']);
  });

  it('replays a write with the same Idempotency-Key and applies it once', async () => {
    const req = jsonBody({ ticket: { subject: 'Once', comment: { body: 'only once' } } });
    const headers = { ...req.headers, 'idempotency-key': 'key-1' };
    const first = await call(base, '/api/v2/tickets.json', { ...req, headers });
    const second = await call(base, '/api/v2/tickets', { ...req, headers });
    expect(first.status).toBe(201);
    expect(first.headers['x-idempotency-lookup']).toBe('miss');
    expect(second.status).toBe(201);
    expect(second.headers['x-idempotency-lookup']).toBe('hit');
    expect(second.text).toBe(first.text);
    expect(second.headers.location).toBe(first.headers.location);
    expect(sim.writes()).toHaveLength(1);
    expect(sim.writes()[0]?.idempotencyKey).toBe('key-1');
    expect(sim.duplicateWrites()).toBe(0);
    const other = await call(base, '/api/v2/tickets', {
      ...jsonBody({ ticket: { subject: 'Other', comment: { body: 'x' } } }),
      headers,
    });
    expect(other.status).toBe(400);
    expect(obj(other.json).error).toBe('IdempotentRequestError');
    expect(sim.writes()).toHaveLength(1);
  });

  it('applies concurrent retries with one Idempotency-Key exactly once', async () => {
    const req = jsonBody({ ticket: { subject: 'Race', comment: { body: 'same request, five times' } } });
    const headers = { ...req.headers, 'idempotency-key': 'race-1' };
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => call(base, '/api/v2/tickets.json', { ...req, headers })),
    );
    expect(new Set(replies.map((r) => r.text)).size).toBe(1);
    expect(replies.map((r) => r.headers['x-idempotency-lookup']).sort()).toEqual(['hit', 'hit', 'hit', 'hit', 'miss']);
    expect(sim.writes()).toHaveLength(1);
    expect(sim.duplicateWrites()).toBe(0);
  });

  it('never crashes on bad input: invalid JSON, invalid UTF-8, huge bodies', async () => {
    const bad = await call(base, '/api/v2/tickets', { ...jsonBody(null), body: '{"ticket": {' });
    expect(bad.status).toBe(400);
    expect(obj(bad.json).error).toBe('InvalidJson');
    const latin1 = await call(base, '/api/v2/tickets', {
      ...jsonBody(null),
      body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]),
    });
    expect(latin1.status).toBe(400);
    const huge = await call(base, '/api/v2/tickets', { ...jsonBody(null), body: Buffer.alloc(3 * 1024 * 1024, 0x20) });
    expect(huge.status).toBe(413);
    expect((await call(base, '/api/v2/tickets/1')).status).toBe(200);
    expect(sim.requests().at(-2)?.bodyBytes).toBe(3 * 1024 * 1024);
  });
});

describe('publicOrigin', () => {
  it('uses publicOrigin in every absolute URL, never the Host header', async () => {
    const pub = await startSimulator({ port: 0, publicOrigin: 'https://support.example.test/' });
    try {
      const headers = { host: 'evil.example' };
      const one = await call(pub.url, '/api/v2/tickets/3.json', { headers });
      expect(ticketOf(one.json).url).toBe('https://support.example.test/api/v2/tickets/3.json');
      const list = await call(pub.url, '/api/v2/tickets.json?page[size]=2', { headers });
      expect(String(obj(obj(list.json).links).next)).toMatch(
        /^https:\/\/support\.example\.test\/api\/v2\/tickets\.json\?page%5Bsize%5D=2&page%5Bafter%5D=/,
      );
      const created = await call(pub.url, '/api/v2/tickets', {
        ...jsonBody({ ticket: { subject: 's', comment: { body: 'b' } } }),
      });
      expect(created.headers.location).toBe('https://support.example.test/api/v2/tickets/121.json');
    } finally {
      await pub.close();
    }
  });
});
