import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageV1Schema } from '../../contracts/v1/page.js';
import { TicketV1Schema } from '../../contracts/v1/ticket.js';
import { TicketV2Schema } from '../../contracts/v2/ticket.js';
import { ADMIN_TOKEN, get, type Stack, startStack } from '../helpers/stack.js';

let on: Stack;
let off: Stack;
beforeAll(async () => {
  [on, off] = await Promise.all([startStack({ overrides: { contracts: { enabled: true } } }), startStack()]);
});
afterAll(async () => {
  await Promise.all([on.close(), off.close()]);
});

describe('contract API for new clients', () => {
  it('is off by default: the prefix is just another legacy path', async () => {
    const r = await get(`${off.gw.publicUrl}/contracts/v1/tickets/1`);
    expect(r.servedBy).toBe('legacy');
    expect(JSON.parse(r.body)).toEqual({ error: 'RecordNotFound', description: 'Not found' });
  });

  it('serves a ticket as TicketV1 and TicketV2, URLs pointing at the gateway', async () => {
    const v1 = await get(`${on.gw.publicUrl}/contracts/v1/tickets/13`);
    expect(v1.status).toBe(200);
    const t1 = TicketV1Schema.parse(JSON.parse(v1.body));
    expect(t1).toMatchObject({ id: 13, url: `${on.gw.publicUrl}/api/v2/tickets/13.json` });
    const v2 = await get(`${on.gw.publicUrl}/contracts/v2/tickets/13`);
    const t2 = TicketV2Schema.parse(JSON.parse(v2.body));
    expect(t2.customerId).toBe(t1.requesterId);
    expect(t2.requesterId).toBe(t1.requesterId);
    expect(t2.channel).toBe(t1.via.channel);
  });

  it('pages through every ticket with opaque cursors', async () => {
    const seen = new Set<number>();
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const r = await get(
        `${on.gw.publicUrl}/contracts/v1/tickets?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(r.status).toBe(200);
      const page = pageV1Schema(TicketV1Schema).parse(JSON.parse(r.body));
      for (const t of page.items) seen.add(t.id);
      cursor = page.page.nextCursor;
      if (!page.page.hasMore) break;
    }
    expect(cursor).toBeNull();
    expect(seen.size).toBe(120);
  });

  it('rejects invalid requests with a 400 problem that lists every invalid field', async () => {
    const r = await get(`${on.gw.publicUrl}/contracts/v1/tickets?limit=500&bogus=1`);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/problem+json');
    const p = JSON.parse(r.body) as { code: string; errors: { path: string }[] };
    expect(p.code).toBe('GW_BAD_REQUEST');
    expect(p.errors.map((e) => e.path).sort()).toEqual(['query', 'query.limit'].sort());
    const bad = JSON.parse((await get(`${on.gw.publicUrl}/contracts/v1/tickets/abc`)).body) as {
      errors: { path: string }[];
    };
    expect(bad.errors.map((e) => e.path)).toEqual(['params.id']);
  });

  it('answers missing resources and unknown endpoints with 404 problems', async () => {
    const r = await get(`${on.gw.publicUrl}/contracts/v1/tickets/999`);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GW_NOT_FOUND', status: 404 });
    expect((await get(`${on.gw.publicUrl}/contracts/v9/tickets/1`)).status).toBe(404);
  });

  it('publishes every contract as JSON Schema on the admin port', async () => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const list = (await (await fetch(`${on.gw.adminUrl}/admin/contracts`, { headers: auth })).json()) as {
      contracts: { version: string; name: string }[];
    };
    expect(list.contracts).toContainEqual(expect.objectContaining({ version: 'v2', name: 'Ticket' }));
    const res = await fetch(`${on.gw.adminUrl}/admin/contracts/v2/Ticket`, { headers: auth });
    expect(res.headers.get('content-type')).toContain('application/schema+json');
    const schema = (await res.json()) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['customerId', 'requesterId', 'channel']));
    expect((await fetch(`${on.gw.adminUrl}/admin/contracts/v2/Nope`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${on.gw.adminUrl}/admin/contracts`)).status).toBe(401);
  });
});
