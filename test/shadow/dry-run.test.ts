import { type Dispatcher, MockAgent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConversationsAdapter } from '../../legacy-adapters/conversations.js';
import { createCrmAdapter } from '../../legacy-adapters/crm.js';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { createOrdersAdapter } from '../../legacy-adapters/orders-soap.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { createTicketingAdapter } from '../../legacy-adapters/ticketing.js';
import { createTicketingUsersAdapter } from '../../legacy-adapters/ticketing-users.js';
import type { Adapters } from '../../routes/types.js';
import { createDryRunAdapters } from '../../src/shadow/dry-run.js';
import type { Effect } from '../../src/shadow/types.js';

function adaptersOn(url: string, dispatcher?: Dispatcher): { adapters: Adapters; https: LegacyHttp[] } {
  const http = (system: string) =>
    createLegacyHttp({ url, system, headersTimeoutMs: 2_000, ...(dispatcher ? { dispatcher } : {}) });
  const ticketing = http('ticketing');
  const crm = http('crm');
  const orders = http('orders');
  const conversations = http('conversations');
  return {
    adapters: {
      ticketing: createTicketingAdapter(ticketing),
      users: createTicketingUsersAdapter(ticketing),
      crm: createCrmAdapter(crm),
      orders: createOrdersAdapter(orders),
      conversations: createConversationsAdapter(conversations),
    },
    https: [ticketing, crm, orders, conversations],
  };
}

/** Every write the dry-run adapters stand in for, called once each. */
async function writeEverything(dry: Adapters): Promise<void> {
  const key = { idempotencyKey: 'dry-1' };
  const created = await dry.ticketing.createTicket(
    Buffer.from('{"ticket":{"subject":"Printer on fire","comment":{"body":"Help!"},"tags":["VIP Customer"]}}'),
    key,
  );
  expect(created.response.status).toBe(201);
  expect(created.replayed).toBe(false);
  expect(created.json).toMatchObject({ ticket: { id: null, subject: 'Printer on fire' } });
  const updated = await dry.ticketing.updateTicket(
    '5',
    { ticket: { status: 'solved', priority: null } },
    {
      ...key,
      method: 'PATCH',
    },
  );
  expect(updated.response.status).toBe(200);
  expect(updated.json).toMatchObject({ ticket: { id: 5, status: 'solved' } });
  const address = await dry.crm.updateAddress('10001', { CITY: 'Potsdam', STREET: '' }, key);
  expect(address.response.status).toBe(200);
  expect(address.response.headers['content-type']).toBe('application/json;charset=UTF-8');
  const posted = await dry.conversations.postMessage('conv-9', {
    message: { author: { type: 'user', id: '10001' }, content: { type: 'text', text: 'Where is my order?' } },
  });
  expect(posted.response.status).toBe(201);
  const handoff = await dry.conversations.deliverHandoff(
    'conv-9',
    { handoff: { intent: 'refund', summary: 'Wants a refund', transcript: [] } },
    key,
  );
  expect(handoff).toMatchObject({ status: 'queued', replayed: false });
  expect(handoff.response.status).toBe(202);
}

const EXPECTED_EFFECTS: Effect[] = [
  {
    system: 'ticketing',
    operation: 'ticket.create',
    target: null,
    payload: { subject: 'Printer on fire', comment: { body: 'Help!' }, tags: ['VIP Customer'] },
  },
  { system: 'ticketing', operation: 'ticket.update', target: '5', payload: { status: 'solved', priority: null } },
  { system: 'crm', operation: 'crm.address', target: '10001', payload: { city: 'Potsdam', street: null } },
  {
    system: 'conversations',
    operation: 'conversation.message',
    target: 'conv-9',
    payload: { conversationId: 'conv-9', customerId: '10001', text: 'Where is my order?' },
  },
  {
    system: 'conversations',
    operation: 'handoff.create',
    target: null,
    payload: {
      conversationId: 'conv-9',
      reason: 'human_requested',
      intent: 'refund',
      summary: 'Wants a refund',
      transcript: [],
      proposedAction: null,
    },
  },
];

describe('dry-run adapters against the simulator', () => {
  let sim: Simulator;
  let real: Adapters;
  let https: LegacyHttp[];
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    ({ adapters: real, https } = adaptersOn(sim.url));
  });
  afterAll(async () => {
    await Promise.all(https.map((h) => h.close()));
    await sim.close();
  });
  beforeEach(() => sim.reset());

  it('record every write as an effect on its contract, and legacy sees no request at all', async () => {
    const effects: Effect[] = [];
    await writeEverything(createDryRunAdapters(real, effects));
    expect(effects).toEqual(EXPECTED_EFFECTS);
    expect(sim.requests()).toEqual([]);
    expect(sim.writes()).toEqual([]);
  });

  it('the same writes through the real adapters do reach legacy (the check above can fail)', async () => {
    await real.ticketing.createTicket('{"ticket":{"subject":"a","comment":{"body":"b"}}}', { idempotencyKey: 'r-1' });
    await real.crm.updateAddress('10001', { CITY: 'Potsdam' }, { idempotencyKey: 'r-2' });
    expect(sim.writes().map((w) => w.key)).toEqual(['ticket.create:121', 'crm.address:10001']);
  });

  it('pass reads through to legacy unchanged', async () => {
    const dry = createDryRunAdapters(real, []);
    const ticket = await dry.ticketing.getTicket('1');
    expect(ticket.response.status).toBe(200);
    expect(ticket.response.body.equals((await real.ticketing.getTicket('1')).response.body)).toBe(true);
    expect((await dry.ticketing.listTickets({ size: 2 })).response.status).toBe(200);
    expect((await dry.users.getUser('2')).response.status).toBe(200);
    expect((await dry.crm.getCustomer('10001')).json).toMatchObject({ CUSTOMER_ID: '10001' });
    expect((await dry.orders.getOrderStatus('A-1001')).order).toBeDefined();
    expect((await dry.conversations.listMessages('nobody')).response.status).toBe(404);
    expect(sim.requests().map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'GET']);
    expect(sim.writes()).toEqual([]);
  });

  it('record a body the contract cannot read as it is, so the comparison shows it', async () => {
    const effects: Effect[] = [];
    const dry = createDryRunAdapters(real, effects);
    await dry.ticketing.createTicket(
      { ticket: { subject: ' ', comment: { body: 'x' }, assignee_id: 3 } },
      {
        idempotencyKey: 'k',
      },
    );
    await dry.ticketing.updateTicket('7', 'not json', { idempotencyKey: 'k' });
    expect(effects.map((e) => e.payload)).toEqual([
      { ticket: { subject: ' ', comment: { body: 'x' }, assignee_id: 3 } },
      'not json',
    ]);
  });
});

describe('dry-run adapters have no way to the network from a write', () => {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const origin = 'http://legacy.invalid';
  const { adapters: real } = adaptersOn(origin, agent);
  afterAll(() => agent.close());

  it('write methods complete with every connection refused, while the real ones cannot', async () => {
    const effects: Effect[] = [];
    await writeEverything(createDryRunAdapters(real, effects));
    expect(effects).toHaveLength(5);
    await expect(real.ticketing.createTicket('{}', { idempotencyKey: 'k' })).rejects.toMatchObject({
      target: 'legacy',
    });
  });

  it('reads go to the real dispatcher', async () => {
    agent
      .get(origin)
      .intercept({ path: '/api/v2/tickets/1.json', method: 'GET' })
      .reply(200, '{"ticket":{"id":1}}', { headers: { 'content-type': 'application/json' } });
    const dry = createDryRunAdapters(real, []);
    expect((await dry.ticketing.getTicket('1')).json).toEqual({ ticket: { id: 1 } });
    agent.assertNoPendingInterceptors();
  });

  it('hold no reference to a real write method, and cannot be given one', () => {
    const dry = createDryRunAdapters(real, []);
    const realWrites = new Set<unknown>([
      real.ticketing.createTicket,
      real.ticketing.updateTicket,
      real.crm.updateAddress,
      real.conversations.postMessage,
      real.conversations.deliverHandoff,
    ]);
    const reachable: unknown[] = [];
    for (const adapter of Object.values(dry)) reachable.push(adapter, ...Object.values(adapter));
    expect(reachable.some((v) => realWrites.has(v))).toBe(false);
    expect(Object.values(dry).every((a) => Object.isFrozen(a))).toBe(true);
    expect(() => {
      (dry.ticketing as { createTicket: unknown }).createTicket = real.ticketing.createTicket;
    }).toThrow(TypeError);
  });
});
