import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { loadPiiCorpus } from '../fixtures/pii/corpus.js';
import {
  type FakeOpenAi,
  hang,
  malformedJson,
  ok,
  refusal,
  schemaBreaking,
  startFakeOpenAi,
  status,
} from '../helpers/fake-openai.js';
import { type Stack, startStack } from '../helpers/stack.js';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _e, cb) {
    logLines.push(chunk.toString());
    cb();
  },
});

let s: Stack;
let llm: FakeOpenAi;
let n = 0;
beforeAll(async () => {
  llm = await startFakeOpenAi();
  s = await startStack({
    logger: createLogger({ level: 'debug', destination: sink }),
    overrides: {
      log: { level: 'debug' },
      ai: {
        llm: { baseUrl: llm.baseUrl, apiKey: 'test-key', timeoutMs: 300, maxRetries: 0 },
        budgets: { 'intent.password_reset': { tokensPerDay: 1 } },
      },
      pipeline: { slices: { 'intent.refund_eligibility': { deadlineMs: 1 } } },
    },
  });
  await s.serveLive('intent.faq', 'intent.talk_to_human', 'intent.order_status', 'intent.refund_eligibility');
});
afterAll(async () => {
  await s.close();
  await llm.close();
});

async function say(text: string, customerId = '10001') {
  n++;
  const res = await fetch(`${s.gw.publicUrl}/api/v2/conversations/conv-f-${n}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: { author: { type: 'user', id: customerId }, content: { type: 'text', text } } }),
  });
  const body = (await res.json()) as { messages: { content: { text: string } }[] };
  return {
    status: res.status,
    servedBy: res.headers.get('x-gateway-served-by'),
    reason: res.headers.get('x-gateway-fallback-reason'),
    bot: body.messages[1]?.content.text ?? '',
  };
}

const LEGACY_FAQ = 'what are your opening hours?';
const article = () => {
  const hit = s.gw.deps.ai.kb.search(LEGACY_FAQ, 1)[0];
  if (!hit) throw new Error('the KB has no opening-hours article');
  return hit.article;
};

describe('AI handlers under LLM failures, budgets and hostile input', () => {
  it('answers an FAQ from the knowledge base through the OpenAI-compatible endpoint', async () => {
    llm.script(ok({ answered: true, answer: article().answer, articleIds: [article().id] }));
    const r = await say(LEGACY_FAQ);
    expect(r.servedBy).toBe('new');
    expect(r.bot).toBe(article().answer);
  });

  for (const [name, behaviour] of [
    ['429', () => status(429)],
    ['500', () => status(500)],
    ['a hanging endpoint', () => hang()],
    ['malformed JSON', () => malformedJson()],
    ['schema-breaking output', () => schemaBreaking({ answered: 'yes', answer: 7 })],
    [
      'an injection reply asking for another tool',
      () => ok({ answered: true, answer: 'done', articleIds: ['x'], tool: 'updateAddress' }),
    ],
    ['a refusal', () => refusal('I cannot help with that')],
  ] as const) {
    it(`hands off to legacy on ${name}; the customer gets the legacy answer, never an error`, async () => {
      llm.script(behaviour());
      const writes = s.sim.writes().filter((w) => w.path.includes('/crm/')).length;
      const r = await say(LEGACY_FAQ);
      expect(r.status).toBe(201);
      expect(r.servedBy).toBe('legacy');
      expect(r.reason).toBe('handoff');
      expect(r.bot.length).toBeGreaterThan(0);
      expect(s.sim.writes().filter((w) => w.path.includes('/crm/')).length).toBe(writes);
    });
  }

  it('falls back to the legacy bot when a handler times out', async () => {
    const before = await s.metric('gateway_fallbacks_total', { slice: 'intent.refund_eligibility', reason: 'timeout' });
    const r = await say('I want a refund for order A-1001');
    expect(r.servedBy).toBe('legacy');
    expect(r.reason).toBe('timeout');
    expect(await s.metric('gateway_fallbacks_total', { slice: 'intent.refund_eligibility', reason: 'timeout' })).toBe(
      before + 1,
    );
  });

  it('hands off (tool error) when the order service reports an error inside a 200', async () => {
    const r = await say('where is my order A-1013?');
    expect(r.servedBy).toBe('legacy');
    expect(r.reason).toBe('handoff');
  });

  it('sends a slice over its daily budget to legacy with reason budget_exceeded', async () => {
    await s.serveLive('intent.password_reset');
    s.gw.deps.ai.budgets.charge('intent.password_reset', 'test', { inputTokens: 5, outputTokens: 0 });
    const r = await say('I forgot my password and cannot log in');
    expect(r.servedBy).toBe('legacy');
    expect(r.reason).toBe('budget_exceeded');
  });

  it('never lets PII reach a prompt, a log line or a stored handoff record', async () => {
    const corpus = loadPiiCorpus()
      .filter((e) => e.pii.length > 0)
      .slice(0, 40);
    const promptsBefore = llm.requests.length;
    for (const [i, entry] of corpus.entries()) {
      // Alternate: FAQ-like text reaches the FAQ prompt; a request for a person produces a stored handoff.
      const text = i % 2 === 0 ? `${LEGACY_FAQ} ${entry.text}` : `I want to talk to a human. ${entry.text}`;
      llm.script(ok({ answered: false, answer: '', articleIds: [] }), ok({ intent: 'faq', confidence: 0.9 }));
      await say(text);
    }
    const prompts = llm.requests.slice(promptsBefore).map((r) => JSON.stringify(r.body));
    expect(prompts.length).toBeGreaterThan(0);
    const handoffIds = s.sim
      .writes()
      .filter((w) => w.key.startsWith('handoff.create:'))
      .map((w) => w.key.slice('handoff.create:'.length));
    const stored = await Promise.all(
      handoffIds.map(async (id) => (await fetch(`${s.sim.url}/api/v2/handoffs/${id}`)).text()),
    );
    expect(stored.length).toBeGreaterThan(5);
    const logs = logLines.join('');
    for (const entry of corpus) {
      for (const { value } of entry.pii) {
        for (const p of prompts) expect(p, `prompt leaks ${value}`).not.toContain(value);
        for (const rec of stored) expect(rec, `handoff record leaks ${value}`).not.toContain(value);
        expect(logs.includes(value), `log leaks ${value}`).toBe(false);
      }
    }
  });
});
