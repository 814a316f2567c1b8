import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.close();
});

let conv = 0;
beforeEach(() => {
  conv++;
});
const cid = () => `conv-e2e-${conv}`;

async function say(text: string, customerId = '10001', conversation = cid()) {
  const res = await fetch(`${s.gw.publicUrl}/api/v2/conversations/${conversation}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: { author: { type: 'user', id: customerId }, content: { type: 'text', text } } }),
  });
  const body = (await res.json()) as {
    messages: { id: string; author: { type: string; display_name: string }; content: { text: string } }[];
  };
  return {
    status: res.status,
    servedBy: res.headers.get('x-gateway-served-by'),
    reason: res.headers.get('x-gateway-fallback-reason'),
    body,
    bot: body.messages?.[1]?.content.text ?? '',
  };
}

describe('AI automation handlers through the gateway', () => {
  it('serves order-status messages with real SOAP order data at 100 %, and the legacy bot at 0 %', async () => {
    await s.serveLive('intent.order_status');
    const ai = await say('Hi, where is my order A-1001?');
    expect(ai.status).toBe(201);
    expect(ai.servedBy).toBe('new');
    expect(ai.bot).toContain('A-1001');
    const order = await (
      await fetch(`${s.sim.url}/soap/OrderService`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml', soapaction: '"urn:GetOrderStatus"' },
        body: '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ord="urn:legacy:orders"><soap:Body><ord:GetOrderStatus><ord:OrderId>A-1001</ord:OrderId></ord:GetOrderStatus></soap:Body></soap:Envelope>',
      })
    ).text();
    const carrier = /<ord:Carrier>([^<]*)</.exec(order)?.[1];
    if (carrier) expect(ai.bot).toContain(carrier);
    // Same wire shape as the legacy bot.
    expect(ai.body.messages).toHaveLength(2);
    expect(ai.body.messages[1]?.author).toEqual({ type: 'business', display_name: 'Legacy Bot' });
    // The customer is named as legacy names them (from the customer record).
    expect(ai.body.messages[0]?.author.display_name).toBe('Anna Schmidt');

    s.serve('intent.order_status', 0);
    await s.waitFor(() => s.gw.deps.flags.slice('intent.order_status').stage === 'legacy');
    const legacy = await say('Hi, where is my order A-1001?');
    expect(legacy.servedBy).toBe('legacy');
    expect(legacy.bot).not.toContain('A-1001 has');
  });

  it('never shows another customer’s order', async () => {
    await s.serveLive('intent.order_status');
    const r = await say('status of order A-1002 please', '10001');
    expect(r.servedBy).toBe('new');
    expect(r.bot).toContain('could not find');
  });

  it('hands off to a human with the context package delivered to legacy, and legacy answers', async () => {
    await s.serveLive('intent.talk_to_human');
    const before = s.sim.writes().filter((w) => w.path.includes('/handoff')).length;
    const r = await say('I want to talk to a real person now');
    expect(r.servedBy).toBe('legacy');
    expect(r.reason).toBe('handoff');
    expect(r.bot.length).toBeGreaterThan(0);
    expect(s.sim.writes().filter((w) => w.path.includes('/handoff')).length).toBe(before + 1);
    expect(
      await s.metric('gateway_fallbacks_total', { slice: 'intent.talk_to_human', reason: 'handoff' }),
    ).toBeGreaterThan(0);
  });

  it('changes an address only after confirmation, exactly once', async () => {
    await s.serveLive('intent.address_change');
    const ask = await say('Please change my address to Hauptstraße 5, 10115 Berlin');
    expect(ask.servedBy).toBe('new');
    expect(ask.bot).toContain('Please confirm');
    const writesBefore = s.sim.writes().filter((w) => w.path.includes('/address')).length;
    const yes = await say('yes');
    expect(yes.servedBy).toBe('new');
    expect(yes.bot).toContain('Hauptstraße 5');
    expect(s.sim.writes().filter((w) => w.path.includes('/address')).length).toBe(writesBefore + 1);
    expect(s.sim.duplicateWrites()).toBe(0);
  });
});
