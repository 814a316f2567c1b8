import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotReplyV1Schema } from '../../contracts/v1/bot-reply.js';
import { ConversationV1Schema } from '../../contracts/v1/conversation.js';
import { OrderStatusV1Schema, OrderV1Schema } from '../../contracts/v1/order.js';
import { BotReplyV2Schema } from '../../contracts/v2/bot-reply.js';
import { OrderV2Schema } from '../../contracts/v2/order.js';
import { ADMIN_TOKEN, get, type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack({ overrides: { contracts: { enabled: true } } });
});
afterAll(async () => {
  await s.close();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${s.gw.publicUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('contract API: orders (SOAP behind) and conversations', () => {
  it('serves an order from the SOAP service as OrderV1, OrderV2 and OrderStatusV1', async () => {
    const v1 = OrderV1Schema.parse(JSON.parse((await get(`${s.gw.publicUrl}/contracts/v1/orders/A-1001`)).body));
    expect(v1).toMatchObject({ id: 'A-1001', customerId: 10001, total: { currency: 'EUR' } });
    const v2 = OrderV2Schema.parse(JSON.parse((await get(`${s.gw.publicUrl}/contracts/v2/orders/A-1001`)).body));
    expect(v2.shipmentId).toBe(v1.trackingNumber);
    const st = OrderStatusV1Schema.parse(
      JSON.parse((await get(`${s.gw.publicUrl}/contracts/v1/orders/A-1001/status`)).body),
    );
    expect(st.status).toBe(v1.status);
  });

  it("turns the order service's errors inside a 200 into real problems", async () => {
    const missing = await get(`${s.gw.publicUrl}/contracts/v1/orders/A-9999`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'GW_LEGACY_NOT_FOUND' });
    const broken = await get(`${s.gw.publicUrl}/contracts/v1/orders/A-1013`);
    expect(broken.status).toBe(502);
    expect(JSON.parse(broken.body)).toMatchObject({ code: 'GW_LEGACY_ERROR_IN_200' });
    const bad = await get(`${s.gw.publicUrl}/contracts/v1/orders/A%3C1`);
    expect(bad.status).toBe(400);
  });

  it('posts a customer message and answers with the legacy bot reply as BotReplyV1 / V2, then reads the history', async () => {
    const r = await post('/contracts/v1/conversations/conv-ct-1/messages', {
      customerId: '10001',
      text: 'where is my order A-1001?',
    });
    expect(r.status).toBe(201);
    expect(BotReplyV1Schema.parse(r.body).text.length).toBeGreaterThan(0);
    const r2 = await post('/contracts/v2/conversations/conv-ct-1/messages', {
      customerId: '10001',
      text: 'can I talk to someone',
    });
    BotReplyV2Schema.parse(r2.body);
    const conv = ConversationV1Schema.parse(
      JSON.parse((await get(`${s.gw.publicUrl}/contracts/v1/conversations/conv-ct-1`)).body),
    );
    expect(conv.messages.length).toBe(4);
    expect(conv.messages[0]).toMatchObject({ author: { role: 'customer' }, text: 'where is my order A-1001?' });
  });

  it('validates the posted body and lists every invalid field', async () => {
    const r = await post('/contracts/v1/conversations/conv-ct-2/messages', { customerId: '', text: '   ', extra: 1 });
    expect(r.status).toBe(400);
    const paths = (r.body.errors as { path: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['body', 'body.customerId', 'body.text']));
  });

  it('serves ticketing users and CRM customers as User / Customer contracts (v1, v2)', async () => {
    const user = JSON.parse((await get(`${s.gw.publicUrl}/contracts/v1/users/1`)).body) as Record<string, unknown>;
    expect(user).toMatchObject({ id: 1 });
    const cust = JSON.parse((await get(`${s.gw.publicUrl}/contracts/v1/customers/10001`)).body) as Record<
      string,
      unknown
    >;
    expect(cust).toMatchObject({ id: 10001, firstName: 'Anna', phone: expect.stringMatching(/^\+\d+$/) });
    const v2 = JSON.parse((await get(`${s.gw.publicUrl}/contracts/v2/customers/10001`)).body) as Record<
      string,
      unknown
    >;
    expect(v2.lifetimeOrderCount).toBe(cust.orderCount);
    expect((await get(`${s.gw.publicUrl}/contracts/v1/customers/99`)).status).toBe(404);
  });

  it('lists every contract family on the admin port', async () => {
    const list = (await (
      await fetch(`${s.gw.adminUrl}/admin/contracts`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { contracts: { version: string; name: string }[] };
    const names = new Set(list.contracts.map((c) => `${c.version}/${c.name}`));
    for (const n of [
      'Order',
      'OrderStatus',
      'Message',
      'Conversation',
      'CustomerMessage',
      'BotReply',
      'Handoff',
      'Ticket',
    ]) {
      expect(names.has(`v1/${n}`) && names.has(`v2/${n}`), n).toBe(true);
    }
  });
});
