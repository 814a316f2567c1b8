import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FALLBACK_TEXT } from '../../../legacy-adapters/simulator/bot.js';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { arr, call, jsonBody, obj } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

const say = (conv: string, text: string, headers: Record<string, string> = {}) => {
  const req = jsonBody({ message: { author: { type: 'user', id: '10001' }, content: { type: 'text', text } } });
  return call(sim.url, `/api/v2/conversations/${conv}/messages`, { ...req, headers: { ...req.headers, ...headers } });
};

describe('conversations with the legacy bot', () => {
  it('stores the customer message and answers with a canned reply and quick replies', async () => {
    const res = await say('conv-1', 'Where is my order A-1001?');
    expect(res.status).toBe(201);
    const [mine, bot] = arr(obj(res.json).messages).map(obj);
    expect(mine).toEqual({
      id: 'conv-1-1',
      conversation_id: 'conv-1',
      received: '2024-03-01T09:00:01Z',
      author: { type: 'user', id: '10001', display_name: 'Anna Schmidt' },
      content: { type: 'text', text: 'Where is my order A-1001?' },
    });
    expect(bot?.id).toBe('conv-1-2');
    expect(bot?.author).toEqual({ type: 'business', display_name: 'Legacy Bot' });
    const content = obj(bot?.content);
    expect(String(content.text)).toMatch(/^You can check your order status at /);
    expect(arr(content.actions)[0]).toEqual({ type: 'reply', text: 'Track my order' });
  });

  it('picks replies by keyword and falls back to a human', async () => {
    const reply = async (text: string) =>
      String(obj(obj(arr(obj((await say('conv-2', text)).json).messages)[1]).content).text);
    expect(await reply('I forgot my password')).toMatch(/reset your password/);
    expect(await reply('I want a refund for my order')).toMatch(/^Refunds are issued/);
    expect(await reply('Can I change my delivery address?')).toMatch(/delivery address/);
    expect(await reply('What are your opening hours?')).toMatch(/Monday to Friday/);
    expect(await reply('Hallo, wo ist meine Bestellung?')).toMatch(/order status/);
    expect(await reply('My cat likes your hoodie')).toBe(FALLBACK_TEXT);
    const history = obj((await call(sim.url, '/api/v2/conversations/conv-2/messages.json')).json);
    expect(arr(history.messages)).toHaveLength(12);
  });

  it('rejects an invalid message with 422 and has no history for unknown conversations', async () => {
    const res = await call(
      sim.url,
      '/api/v2/conversations/conv-3/messages',
      jsonBody({ message: { content: { type: 'image' } } }),
    );
    expect(res.status).toBe(422);
    expect(Object.keys(obj(obj(res.json).details)).sort()).toEqual(['author', 'author_id', 'content', 'text']);
    expect((await call(sim.url, '/api/v2/conversations/conv-3/messages')).status).toBe(404);
    expect(sim.writes()).toEqual([]);
  });

  it('queues handoffs (202), stores them, and honours Idempotency-Key', async () => {
    const handoff = {
      handoff: {
        intent: 'refund',
        summary: 'Customer waits for a refund',
        transcript: [{ role: 'user', text: 'refund?' }],
        proposed_action: { type: 'refund', order_id: 'A-1001' },
      },
    };
    const req = jsonBody(handoff);
    const headers = { ...req.headers, 'idempotency-key': 'ho-key' };
    const first = await call(sim.url, '/api/v2/conversations/conv-4/handoff', { ...req, headers });
    const replay = await call(sim.url, '/api/v2/conversations/conv-4/handoff.json', { ...req, headers });
    const second = await call(sim.url, '/api/v2/conversations/conv-5/handoff', req);
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ handoff: { id: 'ho-1', status: 'queued', queue_position: 1 } });
    expect(replay.headers['x-idempotency-lookup']).toBe('hit');
    expect(replay.text).toBe(first.text);
    expect(second.json).toEqual({ handoff: { id: 'ho-2', status: 'queued', queue_position: 2 } });
    expect(sim.writes().map((w) => w.key)).toEqual(['handoff.create:ho-1', 'handoff.create:ho-2']);
    const stored = obj(obj((await call(sim.url, '/api/v2/handoffs/ho-1')).json).handoff);
    expect(stored).toMatchObject({
      conversation_id: 'conv-4',
      intent: 'refund',
      proposed_action: handoff.handoff.proposed_action,
    });
    const invalid = await call(sim.url, '/api/v2/conversations/conv-4/handoff', jsonBody({ handoff: { intent: '' } }));
    expect(invalid.status).toBe(422);
  });
});
