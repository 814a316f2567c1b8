import { MockAgent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConversationsAdapter } from '../../legacy-adapters/conversations.js';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { GatewayError } from '../../src/errors.js';
import { HANDOFF_REQUEST, RECORDINGS, recorded } from '../fixtures/legacy/conversations/recordings.js';
import { rejectionOf } from '../helpers/rejection.js';

let sim: Simulator;
let http: LegacyHttp;
let adapter: ReturnType<typeof createConversationsAdapter>;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  http = createLegacyHttp({ url: sim.url, system: 'conversations' });
  adapter = createConversationsAdapter(http);
});
afterAll(async () => {
  await http.close();
  await sim.close();
});
beforeEach(() => sim.reset());

const say = (text: string) => ({
  message: { author: { type: 'user', id: '10001' }, content: { type: 'text', text } },
});

const gatewayError = (p: Promise<unknown>) => rejectionOf(p, GatewayError);

const handoffRequests = () => sim.requests().filter((r) => r.url.endsWith('/handoff'));

describe('conversations adapter against the simulator', () => {
  it('the simulator still answers exactly the committed recordings (drift check)', async () => {
    for (const r of RECORDINGS) {
      const id = r.path.split('/')[4] ?? '';
      let status: number;
      let body: Buffer;
      if (r.path.endsWith('/messages') && r.method === 'POST') {
        ({ status, body } = (await adapter.postMessage(id, r.body as object)).response);
      } else if (r.path.endsWith('/messages')) {
        ({ status, body } = (await adapter.listMessages(id)).response);
      } else if (r.path.endsWith('/handoff')) {
        ({ status, body } = (await adapter.deliverHandoff(id, r.body as object, { idempotencyKey: 'rec' })).response);
      } else {
        ({ status, body } = await http.call('GET', r.path));
      }
      expect({ file: r.file, status }).toEqual({ file: r.file, status: r.status });
      expect(body.toString('utf8')).toBe(recorded(r.file));
    }
  });

  it('parses 2xx answers, relays legacy 4xx verbatim, and forwards client headers but not per-hop ones', async () => {
    const ok = await adapter.postMessage('conv-1', say('Where is my order?'), {
      headers: { authorization: 'Bearer t-1', 'content-length': '3', traceparent: '00-abc-def-01' },
    });
    expect(ok.response.status).toBe(201);
    expect((ok.json as { messages: unknown[] }).messages).toHaveLength(2);
    const seen = sim.requests().at(-1)?.headers ?? {};
    expect(seen).toMatchObject({
      authorization: 'Bearer t-1',
      traceparent: '00-abc-def-01',
      'content-type': 'application/json',
    });
    const bad = await adapter.postMessage('conv-bad', {
      message: { author: { type: 'business' }, content: { type: 'image' } },
    });
    expect(bad.json).toBeUndefined();
    expect(bad.response.status).toBe(422);
    expect(bad.response.body.toString()).toBe(recorded('post-message-invalid.422.fixture.json'));
    const missing = await adapter.listMessages('nope');
    expect([missing.response.status, missing.json]).toEqual([404, undefined]);
  });

  it("relays a client's own bytes, and legacy replays them under the same Idempotency-Key", async () => {
    const bytes = Buffer.from(JSON.stringify(say('Grüße, wo ist mein Paket?')));
    const first = await adapter.postMessage('conv-2', bytes, { idempotencyKey: 'k-1' });
    const again = await adapter.postMessage('conv-2', bytes, { idempotencyKey: 'k-1' });
    expect(first.response.headers['x-idempotency-lookup']).toBe('miss');
    expect(again.response.headers['x-idempotency-lookup']).toBe('hit');
    expect(again.response.body.equals(first.response.body)).toBe(true);
    expect(sim.writes().map((w) => w.key)).toEqual(['conversation.message:conv-2-1']);
    // Conditional reads pass through: legacy's 304 comes back as it is.
    const list = await adapter.listMessages('conv-2');
    const etag = String(list.response.headers.etag);
    const cached = await adapter.listMessages('conv-2', { headers: { 'if-none-match': etag } });
    expect([cached.response.status, cached.json]).toEqual([304, undefined]);
  });

  it('delivers a handoff once per Idempotency-Key and turns legacy refusals into GatewayErrors', async () => {
    const receipt = await adapter.deliverHandoff('conv-3', HANDOFF_REQUEST, { idempotencyKey: 'ho-k' });
    expect(receipt).toMatchObject({ id: 'ho-1', status: 'queued', queuePosition: 1, replayed: false });
    const replay = await adapter.deliverHandoff('conv-3', HANDOFF_REQUEST, { idempotencyKey: 'ho-k' });
    expect(replay).toMatchObject({ id: 'ho-1', replayed: true });
    expect(sim.writes()).toHaveLength(1);
    expect(sim.duplicateWrites()).toBe(0);
    const reused = await gatewayError(
      adapter.deliverHandoff(
        'conv-3',
        { handoff: { ...HANDOFF_REQUEST.handoff, summary: 'other' } },
        { idempotencyKey: 'ho-k' },
      ),
    );
    expect([reused.code, reused.statusCode, reused.system]).toEqual(['GW_IDEMPOTENCY_CONFLICT', 409, 'conversations']);
    const invalid = await gatewayError(
      adapter.deliverHandoff(
        'conv-3',
        { handoff: { intent: '', summary: 's', transcript: [] } },
        { idempotencyKey: 'x' },
      ),
    );
    expect(invalid.code).toBe('GW_UPSTREAM_STATUS');
    expect(invalid.message).toContain('answered 422: RecordInvalid Record validation errors');
    expect(invalid.message).toContain('Intent: cannot be blank');
  });

  it('maps legacy faults onto the GW_* taxonomy, retrying a handoff once after a reset and nothing else', async () => {
    sim.setFaults({ mode: 'reset' });
    expect((await gatewayError(adapter.deliverHandoff('c', HANDOFF_REQUEST, { idempotencyKey: 'r' }))).code).toBe(
      'GW_UPSTREAM_RESET',
    );
    expect(handoffRequests()).toHaveLength(2);
    expect((await gatewayError(adapter.postMessage('c', say('hi')))).code).toBe('GW_UPSTREAM_RESET');
    expect(sim.requests().filter((r) => r.url.endsWith('/messages'))).toHaveLength(1);
    sim.setFaults({ mode: 'error500' });
    expect((await adapter.postMessage('c', say('hi'))).response.status).toBe(500);
    const e500 = await gatewayError(adapter.deliverHandoff('c', HANDOFF_REQUEST, { idempotencyKey: 'e' }));
    expect([e500.code, e500.message]).toEqual([
      'GW_UPSTREAM_STATUS',
      expect.stringContaining('answered 500: InternalError'),
    ]);
    sim.setFaults({ mode: 'slow', delayMs: 2_000 });
    const impatient = createLegacyHttp({ url: sim.url, system: 'conversations', headersTimeoutMs: 100 });
    expect((await gatewayError(createConversationsAdapter(impatient).listMessages('c'))).code).toBe(
      'GW_UPSTREAM_TIMEOUT',
    );
    await impatient.close();
    sim.setFaults({ mode: 'down' });
    const fresh = createLegacyHttp({ url: sim.url, system: 'conversations' });
    expect((await gatewayError(createConversationsAdapter(fresh).postMessage('c', say('hi')))).code).toBe(
      'GW_UPSTREAM_UNAVAILABLE',
    );
    await fresh.close();
    sim.setFaults({ mode: 'none' });
  });

  // Needs fromUndiciError to read DOMException aborts by name (their `code` is a number: 20, 23).
  it('maps an aborted call (caller deadline) onto GW_DEADLINE_EXCEEDED', async () => {
    sim.setFaults({ mode: 'slow', delayMs: 2_000 });
    const aborted = await gatewayError(adapter.listMessages('c', { signal: AbortSignal.timeout(50) }));
    expect(aborted.code).toBe('GW_DEADLINE_EXCEEDED');
  });
});

describe('conversations adapter: answers the simulator cannot produce (MockAgent)', () => {
  function mocked() {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get('http://legacy.test');
    const adapter = createConversationsAdapter(
      createLegacyHttp({ url: 'http://legacy.test', system: 'conversations', dispatcher: agent }),
    );
    return { agent, pool, adapter };
  }
  const json = { headers: { 'content-type': 'application/json; charset=utf-8' } };
  const messages = { path: '/api/v2/conversations/c1/messages', method: 'POST' } as const;
  const handoff = { path: '/api/v2/conversations/c1/handoff', method: 'POST' } as const;

  it("turns an error inside a 2xx into GW_UPSTREAM_STATUS with legacy's code, and non-JSON into a bad response", async () => {
    const { pool, adapter } = mocked();
    pool
      .intercept(messages)
      .reply(201, JSON.stringify({ error: 'BotUnavailable', description: 'bot is in maintenance' }), json);
    const inside = await gatewayError(adapter.postMessage('c1', say('hi')));
    expect([inside.code, inside.target, inside.system]).toEqual(['GW_UPSTREAM_STATUS', 'legacy', 'conversations']);
    expect(inside.message).toContain('error inside: BotUnavailable bot is in maintenance');
    pool.intercept({ path: '/api/v2/conversations/c1/messages', method: 'GET' }).reply(200, '<html>login</html>');
    expect((await gatewayError(adapter.listMessages('c1'))).code).toBe('GW_UPSTREAM_BAD_RESPONSE');
  });

  it('retries a handoff once after a connection reset, with the same key and body', async () => {
    const { pool, adapter } = mocked();
    const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    // Both tries must carry the same key and the same bytes, or the intercepts do not match.
    const same = {
      ...handoff,
      headers: { 'idempotency-key': 'k-9', 'content-type': 'application/json' },
      body: JSON.stringify(HANDOFF_REQUEST),
    };
    pool.intercept(same).replyWithError(reset);
    pool.intercept(same).reply(202, '{"handoff":{"id":"ho-7","status":"queued","queue_position":3}}', json);
    const receipt = await adapter.deliverHandoff('c1', HANDOFF_REQUEST, { idempotencyKey: 'k-9' });
    expect(receipt).toMatchObject({ id: 'ho-7', status: 'queued', queuePosition: 3, replayed: false });
    pool.intercept(handoff).replyWithError(reset);
    pool.intercept(handoff).replyWithError(reset);
    pool.intercept(handoff).reply(202, '{}', json);
    expect((await gatewayError(adapter.deliverHandoff('c1', HANDOFF_REQUEST, { idempotencyKey: 'k' }))).code).toBe(
      'GW_UPSTREAM_RESET',
    );
  });

  it('rejects a 202 that lacks the handoff receipt', async () => {
    const { pool, adapter } = mocked();
    pool.intercept(handoff).reply(202, '{"handoff":{"status":"queued"}}', json);
    expect((await gatewayError(adapter.deliverHandoff('c1', HANDOFF_REQUEST, { idempotencyKey: 'k' }))).code).toBe(
      'GW_UPSTREAM_BAD_RESPONSE',
    );
  });
});
