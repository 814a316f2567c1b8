/**
 * Transparency, part 1: everything outside the route table (and the migrated route with its flag off) answers through
 * the gateway exactly as legacy answers directly — status, headers and bytes — for every method, error bodies,
 * conditional requests, gzip and pagination followed to the end.
 */
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTransparent, header, type Pair, type Reply, send, startPair } from '../helpers/transparency.js';

const JSON_HEADERS = ['content-type', 'application/json'];

let p: Pair;
beforeAll(async () => {
  p = await startPair();
});
afterAll(async () => {
  await p?.close();
});

function json(reply: Reply): Record<string, unknown> {
  return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
}

describe('reads', () => {
  it('GET a ticket, with and without .json, answers as legacy with its url rewritten to the gateway', async () => {
    for (const path of ['/api/v2/tickets/7', '/api/v2/tickets/7.json']) {
      const { viaGateway } = await expectTransparent(p, { path });
      expect(viaGateway.status).toBe(200);
      const ticket = json(viaGateway).ticket as Record<string, unknown>;
      expect(ticket.url).toBe(`${p.gw.publicUrl}/api/v2/tickets/7.json`);
    }
  });

  it('GET a list with offset pagination and a user, with and without .json', async () => {
    await expectTransparent(p, { path: '/api/v2/tickets.json?page=2&per_page=10' });
    await expectTransparent(p, { path: '/api/v2/tickets?per_page=3' });
    await expectTransparent(p, { path: '/api/v2/users/1.json' });
  });

  it('HEAD answers with legacy headers and no body', async () => {
    const { viaGateway } = await expectTransparent(p, { method: 'HEAD', path: '/api/v2/tickets/3.json' });
    expect(viaGateway.status).toBe(200);
    expect(viaGateway.body.length).toBe(0);
    expect(Number(header(viaGateway, 'content-length'))).toBeGreaterThan(0);
    await expectTransparent(p, { method: 'HEAD', path: '/api/v2/tickets.json?per_page=2' });
  });

  it('OPTIONS answers with legacy Allow', async () => {
    const { viaGateway } = await expectTransparent(p, { method: 'OPTIONS', path: '/api/v2/tickets/3.json' });
    expect(viaGateway.status).toBe(204);
    expect(header(viaGateway, 'allow')).toBe('GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  });

  it('passes non-JSON legacy systems through untouched (SOAP WSDL, CRM)', async () => {
    await expectTransparent(p, { path: '/soap/OrderService?wsdl' });
    await expectTransparent(p, { path: '/crm/customers/10001' });
    const missing = await expectTransparent(p, { path: '/crm/customers/nope' });
    expect(missing.viaGateway.status).toBe(404);
  });
});

describe('writes (legacy reset before each side, so both start from the same state)', () => {
  const before = () => p.sim.reset();

  it('POST create: 201, same body, Location rewritten to the gateway', async () => {
    const body = JSON.stringify({ ticket: { subject: 'Printer on fire', comment: { body: 'Smoke.' }, tags: ['Hot'] } });
    const { viaGateway } = await expectTransparent(
      p,
      { method: 'POST', path: '/api/v2/tickets.json', headers: JSON_HEADERS, body },
      { before },
    );
    expect(viaGateway.status).toBe(201);
    expect(header(viaGateway, 'location')).toBe(`${p.gw.publicUrl}/api/v2/tickets/121.json`);
    // The gateway's Location leads back through the gateway to the new ticket.
    const created = await send(p.gw.publicUrl, { path: new URL(header(viaGateway, 'location') ?? '').pathname });
    expect(created.status).toBe(200);
    expect((json(created).ticket as Record<string, unknown>).subject).toBe('Printer on fire');
  });

  it('POST with an Idempotency-Key: the replay carries legacy headers through', async () => {
    const body = JSON.stringify({ ticket: { subject: 'Once', comment: { body: 'only once' } } });
    const req = {
      method: 'POST',
      path: '/api/v2/tickets',
      headers: [...JSON_HEADERS, 'Idempotency-Key', 'k-1'],
      body,
    };
    const { viaGateway } = await expectTransparent(p, req, { before });
    expect(header(viaGateway, 'x-idempotency-lookup')).toBe('miss');
    const replay = await send(p.gw.publicUrl, req);
    expect(replay.status).toBe(201);
    expect(header(replay, 'x-idempotency-lookup')).toBe('hit');
    expect(p.sim.writes()).toHaveLength(1);
  });

  it('PUT, PATCH and DELETE answer as legacy', async () => {
    const update = JSON.stringify({ ticket: { status: 'pending', priority: 'high' } });
    const put = await expectTransparent(
      p,
      { method: 'PUT', path: '/api/v2/tickets/1.json', headers: JSON_HEADERS, body: update },
      { before },
    );
    expect(put.viaGateway.status).toBe(200);
    expect((json(put.viaGateway).ticket as Record<string, unknown>).status).toBe('pending');
    const patch = await expectTransparent(
      p,
      {
        method: 'PATCH',
        path: '/api/v2/tickets/1',
        headers: JSON_HEADERS,
        body: JSON.stringify({ ticket: { tags: ['A b'] } }),
      },
      { before },
    );
    expect(patch.viaGateway.status).toBe(200);
    const del = await expectTransparent(p, { method: 'DELETE', path: '/api/v2/tickets/1.json' }, { before });
    expect(del.viaGateway.status).toBe(204);
    expect(del.viaGateway.body.length).toBe(0);
    expect((await send(p.gw.publicUrl, { path: '/api/v2/tickets/1.json' })).status).toBe(404);
  });
});

describe('legacy error bodies, verbatim', () => {
  const before = () => p.sim.reset();

  it('404 for an unknown ticket, an unknown path and an unknown system', async () => {
    for (const path of ['/api/v2/tickets/99999.json', '/api/v2/nope', '/no-such-system/x']) {
      const { viaGateway } = await expectTransparent(p, { path });
      expect(viaGateway.status).toBe(404);
    }
    const missing = await send(p.gw.publicUrl, { path: '/api/v2/tickets/99999.json' });
    expect(json(missing)).toEqual({ error: 'RecordNotFound', description: 'Not found' });
  });

  it('422 RecordInvalid with its field details', async () => {
    const { viaGateway } = await expectTransparent(
      p,
      { method: 'POST', path: '/api/v2/tickets.json', headers: JSON_HEADERS, body: '{"ticket":{"priority":"meh"}}' },
      { before },
    );
    expect(viaGateway.status).toBe(422);
    expect(json(viaGateway).error).toBe('RecordInvalid');
    expect(Object.keys(json(viaGateway).details as object).sort()).toEqual(['description', 'priority', 'subject']);
    const closed = await expectTransparent(
      p,
      { method: 'PUT', path: '/api/v2/tickets/5.json', headers: JSON_HEADERS, body: '{"ticket":{"status":"open"}}' },
      { before },
    );
    expect(closed.viaGateway.status).toBe(422);
    expect(closed.viaGateway.body.toString()).toContain('ClosedPreventsUpdate');
  });

  it('400 for invalid JSON and for a bad cursor, not a gateway problem document', async () => {
    const bad = await expectTransparent(
      p,
      { method: 'POST', path: '/api/v2/tickets.json', headers: JSON_HEADERS, body: '{"ticket": {' },
      { before },
    );
    expect(bad.viaGateway.status).toBe(400);
    expect(header(bad.viaGateway, 'content-type')).toBe('application/json; charset=utf-8');
    expect(json(bad.viaGateway)).toEqual({ error: 'InvalidJson', description: 'Request body is not valid JSON' });
    const cursor = await expectTransparent(p, { path: '/api/v2/tickets.json?page[size]=5&page[after]=zzz' });
    expect(cursor.viaGateway.status).toBe(400);
  });

  it('legacy 500 goes back as it is, after exactly one legacy request (no retry)', async () => {
    p.sim.reset();
    p.sim.setFaults({ mode: 'error500' });
    try {
      const r = await send(p.gw.publicUrl, { path: '/api/v2/tickets/1.json' });
      expect(r.status).toBe(500);
      expect(json(r)).toEqual({ error: 'InternalError', description: 'Internal Server Error' });
      expect(p.sim.requests()).toHaveLength(1);
    } finally {
      p.sim.setFaults({ mode: 'none' });
    }
  });
});

describe('gzip and conditional requests', () => {
  it('a gzip body decompresses to legacy JSON (URLs rewritten) with a Content-Length matching the bytes sent', async () => {
    const req = { path: '/api/v2/tickets.json?per_page=30', headers: ['accept-encoding', 'gzip'] };
    const { direct, viaGateway } = await expectTransparent(p, req);
    expect(header(direct, 'content-encoding')).toBe('gzip');
    expect(header(viaGateway, 'content-encoding')).toBe('gzip');
    expect(Number(header(viaGateway, 'content-length'))).toBe(viaGateway.body.length);
    const page = JSON.parse(gunzipSync(viaGateway.body).toString('utf8')) as {
      tickets: { url: string }[];
      next_page: string;
    };
    expect(page.tickets).toHaveLength(30);
    expect(page.next_page.startsWith(`${p.gw.publicUrl}/`)).toBe(true);
    expect(gunzipSync(viaGateway.body).includes(p.sim.url)).toBe(false);
  });

  it('ETag → If-None-Match → 304 through the gateway, with no body', async () => {
    const first = await send(p.gw.publicUrl, { path: '/api/v2/tickets/9.json' });
    const etag = header(first, 'etag');
    expect(etag).toMatch(/^W\/"/);
    const req = { path: '/api/v2/tickets/9.json', headers: ['if-none-match', etag ?? ''] };
    const { viaGateway } = await expectTransparent(p, req);
    expect(viaGateway.status).toBe(304);
    expect(viaGateway.body.length).toBe(0);
    expect(header(viaGateway, 'etag')).toBe(etag);
    // A stale tag gets the full answer.
    const stale = await send(p.gw.publicUrl, { path: '/api/v2/tickets/9.json', headers: ['if-none-match', 'W/"0"'] });
    expect(stale.status).toBe(200);
  });
});

describe('pagination followed to the end through the gateway', () => {
  it('offset: every next_page points at the gateway, all 120 tickets seen once', async () => {
    p.sim.reset();
    const seen: number[] = [];
    let next: string | null = `${p.gw.publicUrl}/api/v2/tickets.json?per_page=25`;
    let pages = 0;
    while (next !== null) {
      expect(next.startsWith(`${p.gw.publicUrl}/api/v2/`)).toBe(true);
      const u: URL = new URL(next);
      const r = await send(u.origin, { path: u.pathname + u.search });
      expect(r.status).toBe(200);
      expect(r.body.includes(p.sim.url)).toBe(false);
      const page = json(r) as { tickets: { id: number; url: string }[]; next_page: string | null; count: number };
      expect(page.count).toBe(120);
      for (const t of page.tickets) {
        expect(t.url).toBe(`${p.gw.publicUrl}/api/v2/tickets/${t.id}.json`);
        seen.push(t.id);
      }
      next = page.next_page;
      pages++;
    }
    expect(pages).toBe(5);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
  });

  it('cursor: links.next and the Link header agree, point at the gateway, and reach every ticket once', async () => {
    p.sim.reset();
    const seen: number[] = [];
    let next: string | null = `${p.gw.publicUrl}/api/v2/tickets.json?page[size]=50`;
    let pages = 0;
    while (next !== null) {
      expect(next.startsWith(`${p.gw.publicUrl}/api/v2/`)).toBe(true);
      const u: URL = new URL(next);
      const r = await send(u.origin, { path: u.pathname + u.search });
      expect(r.status).toBe(200);
      const page = json(r) as {
        tickets: { id: number }[];
        links: { next: string | null };
        meta: { has_more: boolean };
      };
      for (const t of page.tickets) seen.push(t.id);
      const link = header(r, 'link') ?? '';
      const linkNext = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] ?? null;
      expect(linkNext).toBe(page.links.next);
      expect(link.includes(p.sim.url)).toBe(false);
      expect(page.meta.has_more).toBe(page.links.next !== null);
      next = page.links.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
  });

  it('a cursor page compares equal to legacy, Link header included', async () => {
    const { viaGateway } = await expectTransparent(p, {
      path: '/api/v2/tickets.json?page[size]=10&page[after]=dDoyMA',
    });
    expect(header(viaGateway, 'link')).toContain(`<${p.gw.publicUrl}/api/v2/tickets.json?`);
  });
});

describe('one client connection, many answers', () => {
  it('keep-alive framing survives HEAD, 304, 204, 201, 404, gzip and a chunked stream in a row', async () => {
    p.sim.reset();
    // node:http, not undici: undici itself closes the connection after every HEAD.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const { hostname, port } = new URL(p.gw.publicUrl);
    const call = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const req = http.request({ host: hostname, port, method, path, headers, agent }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
          );
        });
        req.on('socket', (s) => sockets.add(s));
        req.on('error', reject);
        req.end(body);
      });
    try {
      const first = await call('GET', '/api/v2/tickets/4.json');
      expect(first.status).toBe(200);
      const head = await call('HEAD', '/api/v2/tickets/4.json');
      expect(head.body.length).toBe(0);
      expect(head.headers['content-length']).toBe(first.headers['content-length']);
      expect(
        (await call('GET', '/api/v2/tickets/4.json', { 'if-none-match': String(first.headers.etag) })).status,
      ).toBe(304);
      expect((await call('DELETE', '/api/v2/tickets/6.json')).status).toBe(204);
      const body = '{"ticket":{"subject":"s","comment":{"body":"b"}}}';
      expect((await call('POST', '/api/v2/tickets', { 'content-type': 'application/json' }, body)).status).toBe(201);
      expect((await call('GET', '/api/v2/tickets/6.json')).status).toBe(404);
      const gz = await call('GET', '/api/v2/tickets.json?per_page=20', { 'accept-encoding': 'gzip' });
      expect(JSON.parse(gunzipSync(gz.body).toString('utf8')).tickets).toHaveLength(20);
      const events = await call('GET', '/api/v2/stream/events?count=3&interval_ms=10');
      expect(events.headers['transfer-encoding']).toBe('chunked');
      expect(events.body.toString('utf8').trim().split('\n')).toHaveLength(3);
      const last = await call('GET', '/api/v2/tickets/4.json');
      expect(last.body.equals(first.body)).toBe(true);
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('concurrent mixed requests each get their own answer', async () => {
    const paths = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0
        ? `/api/v2/tickets/${i + 1}.json`
        : i % 3 === 1
          ? `/api/v2/tickets.json?page=${(i % 5) + 1}&per_page=7`
          : `/api/v2/users/${(i % 4) + 1}`,
    );
    await Promise.all(paths.map((path) => expectTransparent(p, { path })));
  });
});
