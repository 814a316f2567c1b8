import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isEstimated, type LlmCallEvent, SpentLlmError } from '../../src/ai/budget.js';
import { createLlmClient } from '../../src/ai/llm/index.js';
import { createLocalModel, LOCAL_MODEL, type LocalHandlers } from '../../src/ai/llm/local.js';
import { INTENTS, LlmError, type StructuredRequest } from '../../src/ai/types.js';
import { rejectionOf } from '../helpers/rejection.js';

const IntentSchema = z.object({ intent: z.enum(INTENTS), confidence: z.number().min(0).max(1) });
type IntentAnswer = z.infer<typeof IntentSchema>;

const request = (over: Partial<StructuredRequest<IntentAnswer>> = {}): StructuredRequest<IntentAnswer> => ({
  promptId: 'classify-intent',
  promptVersion: '1',
  system: 'Classify the customer message.',
  user: 'where is my order <ORDER_1>?',
  schema: IntentSchema,
  schemaName: 'intent_classification',
  ...over,
});

// A stand-in for the local classifier the coordinator registers.
const handlers: LocalHandlers = {
  'classify-intent': (req) =>
    req.user.includes('order')
      ? { intent: 'order_status', confidence: 0.91 }
      : { intent: 'out_of_scope', confidence: 0.4, tool: 'updateAddress' },
  'broken-answer': () => ({ intent: 'sell_me_a_car', confidence: 3 }),
  throws: () => {
    throw new Error('classifier exploded');
  },
  refuses: () => {
    throw new LlmError('refusal', 'policy says no');
  },
  'never-answers': () => new Promise(() => {}),
};

const failure = (p: Promise<unknown>) => rejectionOf(p, LlmError);

describe('deterministic local model', () => {
  const llm = createLocalModel({ handlers });

  it('answers by promptId with the handler value, validated, under its own model name', async () => {
    const res = await llm.structured(request());
    expect(llm.kind).toBe('local');
    expect(llm.model).toBe(LOCAL_MODEL);
    expect(res).toMatchObject({ value: { intent: 'order_status', confidence: 0.91 }, model: 'local-deterministic-v1' });
  });

  it('is deterministic: the same request gets the same answer and usage', async () => {
    const a = await llm.structured(request());
    const b = await llm.structured(request());
    expect(b).toEqual(a);
  });

  it('counts tokens as ceil(chars / 4) and flags them estimated', async () => {
    const req = request();
    const res = await llm.structured(req);
    expect(res.usage.inputTokens).toBe(Math.ceil(req.system.length / 4) + Math.ceil(req.user.length / 4));
    expect(res.usage.outputTokens).toBe(Math.ceil(JSON.stringify(res.value).length / 4));
    expect(isEstimated(res.usage)).toBe(true);
  });

  it('strips fields outside the schema, like the real client', async () => {
    const res = await llm.structured(request({ user: 'hello there' }));
    expect(res.value).toEqual({ intent: 'out_of_scope', confidence: 0.4 });
  });

  it('an answer that breaks the schema → invalid_output with the spent tokens', async () => {
    const err = await failure(llm.structured(request({ promptId: 'broken-answer' })));
    expect(err.kind).toBe('invalid_output');
    expect(err).toBeInstanceOf(SpentLlmError);
  });

  it('an unknown promptId → unavailable, including names that live on Object.prototype', async () => {
    expect((await failure(llm.structured(request({ promptId: 'faq-answer' })))).kind).toBe('unavailable');
    expect((await failure(llm.structured(request({ promptId: 'constructor' })))).kind).toBe('unavailable');
  });

  it('a handler that throws → server; a handler LlmError passes through', async () => {
    expect((await failure(llm.structured(request({ promptId: 'throws' })))).kind).toBe('server');
    expect((await failure(llm.structured(request({ promptId: 'refuses' })))).kind).toBe('refusal');
  });

  it('honours the abort signal, before and during the call', async () => {
    const before = await failure(llm.structured(request({ signal: AbortSignal.abort() })));
    expect(before.kind).toBe('timeout');
    const ac = new AbortController();
    const call = llm.structured(request({ promptId: 'never-answers', signal: ac.signal }));
    ac.abort();
    expect((await failure(call)).kind).toBe('timeout');
  });

  it('reports every call to the observer', async () => {
    const events: LlmCallEvent[] = [];
    const observed = createLocalModel({ handlers, onCall: (e) => events.push(e) });
    await observed.structured(request());
    await failure(observed.structured(request({ promptId: 'broken-answer' })));
    expect(events.map((e) => [e.promptId, e.model, e.outcome])).toEqual([
      ['classify-intent', LOCAL_MODEL, 'ok'],
      ['broken-answer', LOCAL_MODEL, 'invalid_output'],
    ]);
  });
});

describe('createLlmClient', () => {
  const base = { model: 'gpt-4o-mini', timeoutMs: 8_000, maxRetries: 1 };

  it('picks the local model without a baseUrl', () => {
    expect(createLlmClient(base, { localHandlers: handlers }).kind).toBe('local');
  });

  it('picks the openai client when a baseUrl is set (no key needed for local servers)', () => {
    const llm = createLlmClient({ ...base, baseUrl: 'http://127.0.0.1:11434/v1' }, { localHandlers: handlers });
    expect(llm.kind).toBe('openai');
    expect(llm.model).toBe('gpt-4o-mini');
  });
});
