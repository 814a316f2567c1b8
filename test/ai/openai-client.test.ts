import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isEstimated, type LlmCallEvent, SpentLlmError } from '../../src/ai/budget.js';
import { createOpenAiClient, type OpenAiClientOptions } from '../../src/ai/llm/openai.js';
import { INTENTS, LlmError, type StructuredRequest } from '../../src/ai/types.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  contentFilter,
  DEFAULT_USAGE,
  empty,
  type FakeOpenAi,
  hang,
  INJECTION,
  injection,
  malformedJson,
  ok,
  raw,
  refusal,
  schemaBreaking,
  startFakeOpenAi,
  status,
  truncated,
} from '../helpers/fake-openai.js';
import { rejectionOf } from '../helpers/rejection.js';

const IntentSchema = z.object({ intent: z.enum(INTENTS), confidence: z.number().min(0).max(1) });
type IntentAnswer = z.infer<typeof IntentSchema>;

// Markers that must never show up in a log line.
const SYSTEM_MARKER = 'SYSTEM-PROMPT-MARKER-7f3a';
const USER_MARKER = 'customer says <EMAIL_1> wants order <ORDER_1> USER-MARKER-91bc';

const request = (over: Partial<StructuredRequest<IntentAnswer>> = {}): StructuredRequest<IntentAnswer> => ({
  promptId: 'classify-intent',
  promptVersion: '3',
  system: `Classify the message. ${SYSTEM_MARKER}`,
  user: USER_MARKER,
  schema: IntentSchema,
  schemaName: 'intent_classification',
  ...over,
});

let fake: FakeOpenAi;
beforeEach(async () => {
  fake = await startFakeOpenAi();
});
afterEach(async () => {
  await fake.close();
});

const client = (over: Partial<OpenAiClientOptions> = {}) =>
  createOpenAiClient({
    baseUrl: fake.baseUrl,
    apiKey: 'sk-test',
    model: 'gpt-test',
    timeoutMs: 5_000,
    maxRetries: 0,
    ...over,
  });

const failure = (p: Promise<unknown>) => rejectionOf(p, LlmError);

describe('openai client against a fake OpenAI-compatible server', () => {
  it('returns the validated value, the usage the server reported and sends a strict json_schema request', async () => {
    fake.script(ok({ intent: 'order_status', confidence: 0.93 }));
    const res = await client().structured(request({ maxOutputTokens: 64 }));

    expect(res.value).toEqual({ intent: 'order_status', confidence: 0.93 });
    expect(res.usage).toMatchObject({ inputTokens: DEFAULT_USAGE.prompt_tokens, outputTokens: 12 });
    expect(isEstimated(res.usage)).toBe(false);
    expect(res.model).toBe('gpt-test');
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0];
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-test');
    expect(sent?.body).toMatchObject({
      model: 'gpt-test',
      max_completion_tokens: 64,
      messages: [
        { role: 'system', content: request().system },
        { role: 'user', content: USER_MARKER },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'intent_classification',
          strict: true,
          schema: { type: 'object', additionalProperties: false, required: ['intent', 'confidence'] },
        },
      },
    });
  });

  it('sends max_tokens instead when configured for an older compatible server', async () => {
    fake.script(ok({ intent: 'faq', confidence: 0.8 }));
    await client({ maxTokensField: 'max_tokens' }).structured(request({ maxOutputTokens: 32 }));
    expect(fake.requests[0]?.body).toMatchObject({ max_tokens: 32 });
    expect(fake.requests[0]?.body).not.toHaveProperty('max_completion_tokens');
  });

  it('estimates usage (ceil(chars/4)) and says so when the server reports none', async () => {
    fake.script(ok({ intent: 'faq', confidence: 0.8 }, null));
    const res = await client().structured(request());
    const req = request();
    expect(res.usage.inputTokens).toBe(Math.ceil(req.system.length / 4) + Math.ceil(req.user.length / 4));
    expect(res.usage.outputTokens).toBe(Math.ceil(JSON.stringify({ intent: 'faq', confidence: 0.8 }).length / 4));
    expect(isEstimated(res.usage)).toBe(true);
  });

  it('429 → rate_limited after the configured retries (maxRetries + 1 requests)', async () => {
    fake.script(status(429), status(429), status(429));
    const err = await failure(client({ maxRetries: 2 }).structured(request()));
    expect(err.kind).toBe('rate_limited');
    expect(fake.requests).toHaveLength(3);
  });

  it('429 asking for a longer wait than maxRetryAfterMs is not retried (the SDK would sleep as long as told)', async () => {
    fake.script(status(429, undefined, { 'retry-after': '30' }), ok({ intent: 'faq', confidence: 1 }));
    const err = await failure(client({ maxRetries: 1, maxRetryAfterMs: 1_000 }).structured(request()));
    expect(err.kind).toBe('rate_limited');
    expect(fake.requests).toHaveLength(1);
  });

  it('500 and 503 → server, each retried maxRetries times', async () => {
    fake.script(status(500), status(500), status(503), status(503));
    expect((await failure(client({ maxRetries: 1 }).structured(request()))).kind).toBe('server');
    expect((await failure(client({ maxRetries: 1 }).structured(request()))).kind).toBe('server');
    expect(fake.requests).toHaveLength(4);
  });

  it('a retried 500 that then succeeds answers normally', async () => {
    fake.script(status(500), ok({ intent: 'password_reset', confidence: 0.9 }));
    const res = await client({ maxRetries: 1 }).structured(request());
    expect(res.value.intent).toBe('password_reset');
  });

  it('connection refused → server', async () => {
    const port = await closedPort();
    const llm = createOpenAiClient({
      baseUrl: `http://127.0.0.1:${port}/v1`,
      model: 'm',
      timeoutMs: 2_000,
      maxRetries: 0,
    });
    expect((await failure(llm.structured(request()))).kind).toBe('server');
  });

  it('400 (e.g. the server rejects the schema) → unavailable, not retried', async () => {
    fake.script(status(400), status(400));
    expect((await failure(client({ maxRetries: 1 }).structured(request()))).kind).toBe('unavailable');
    expect(fake.requests).toHaveLength(1);
  });

  it('a hanging server → timeout after the configured per-attempt timeout, each retry counted', async () => {
    fake.script(hang(), hang());
    const err = await failure(client({ timeoutMs: 150, maxRetries: 1 }).structured(request()));
    expect(err.kind).toBe('timeout');
    expect(fake.requests).toHaveLength(2);
  });

  it.each([
    ['malformed JSON', malformedJson()],
    ['schema-breaking JSON', schemaBreaking({ intent: 'cancel_everything', confidence: 7 })],
    ['no choices', empty()],
    ['output cut at the token limit', truncated()],
  ])('%s → invalid_output, carrying the spent tokens for the budget', async (_name, behaviour) => {
    fake.script(behaviour);
    const err = await failure(client().structured(request()));
    expect(err.kind).toBe('invalid_output');
    expect(err).toBeInstanceOf(SpentLlmError);
    expect((err as SpentLlmError).usage.inputTokens).toBe(DEFAULT_USAGE.prompt_tokens);
  });

  it.each([
    ['null', raw('null')],
    ['an object without choices or usage', raw('{"usage":{}}')],
    ['an HTML page', raw('<html>502 from some proxy</html>', 'text/html')],
  ])('a 200 carrying %s → an LlmError, never a TypeError', async (_name, behaviour) => {
    fake.script(behaviour);
    const err = await failure(client().structured(request()));
    expect(['invalid_output', 'server']).toContain(err.kind);
  });

  it('a refusal or the content filter → refusal', async () => {
    fake.script(refusal('I cannot help with that.'), contentFilter());
    expect((await failure(client().structured(request()))).kind).toBe('refusal');
    expect((await failure(client().structured(request()))).kind).toBe('refusal');
  });

  it('an injected tool field never reaches the caller: stripped by z.object, rejected by .strict()', async () => {
    fake.script(injection(), injection());
    const res = await client().structured(request());
    expect(res.value).toEqual({ intent: INJECTION.intent, confidence: 1 });
    expect(Object.keys(res.value).sort()).toEqual(['confidence', 'intent']);

    const strict = IntentSchema.strict();
    const err = await failure(client().structured({ ...request(), schema: strict }));
    expect(err.kind).toBe('invalid_output');
  });

  it('abort via the signal while the server hangs → timeout (aborted), no retry', async () => {
    fake.script(hang(), hang());
    const ac = new AbortController();
    const call = client({ maxRetries: 1 }).structured(request({ signal: ac.signal }));
    await fake.waitForRequests(1);
    ac.abort();
    const err = await failure(call);
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/abort/);
    expect(fake.requests).toHaveLength(1);
  });

  it('abort while the SDK sleeps before a retry settles at once and sends no further request', async () => {
    fake.script(status(429, undefined, { 'retry-after': '60' }), ok({ intent: 'faq', confidence: 1 }));
    // Resolves once the client holds the 429, i.e. the SDK is about to sleep 60 s (it ignores the signal meanwhile).
    let answered = (): void => {};
    const got429 = new Promise<void>((resolve) => {
      answered = resolve;
    });
    // The body is buffered so the abort cannot fail the SDK's body cancel: it reaches the sleep whatever the timing.
    const observedFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const detached = new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
      answered();
      return detached;
    };
    const ac = new AbortController();
    const llm = client({ maxRetries: 1, maxRetryAfterMs: 120_000, fetch: observedFetch });
    const call = llm.structured(request({ signal: ac.signal }));
    await got429;
    ac.abort();
    expect((await failure(call)).kind).toBe('timeout');
    expect(fake.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const err = await failure(client().structured(request({ signal: AbortSignal.abort() })));
    expect(err.kind).toBe('timeout');
    expect(fake.requests).toHaveLength(0);
  });

  it('a schema strict mode cannot express → unavailable before any request', async () => {
    const loose = z.object({ intent: z.enum(INTENTS), note: z.string().optional() });
    const err = await failure(client().structured({ ...request(), schema: loose } as StructuredRequest<unknown>));
    expect(err.kind).toBe('unavailable');
    expect(fake.requests).toHaveLength(0);
  });

  it('logs ids, model, tokens and outcome of every call but never the prompt text', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const logger = createLogger({ level: 'debug', destination: sink });
    const events: LlmCallEvent[] = [];
    const llm = client({ logger, onCall: (e) => events.push(e) });
    fake.script(ok({ intent: 'faq', confidence: 0.9 }), schemaBreaking({ intent: USER_MARKER, confidence: 2 }));
    fake.script(status(400, { error: { message: `echo: ${USER_MARKER} ${SYSTEM_MARKER}` } }));
    await llm.structured(request());
    await failure(llm.structured(request()));
    await failure(llm.structured(request()));

    expect(events.map((e) => e.outcome)).toEqual(['ok', 'invalid_output', 'unavailable']);
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({
      promptId: 'classify-intent',
      promptVersion: '3',
      model: 'gpt-test',
      outcome: 'ok',
    });
    expect(parsed[0]).toMatchObject({ inputTokens: 120, outputTokens: 12, estimated: false });
    expect(parsed[1]).toMatchObject({ outcome: 'invalid_output', inputTokens: 120 });
    for (const line of lines) {
      expect(line).not.toContain('SYSTEM-PROMPT-MARKER');
      expect(line).not.toContain('USER-MARKER');
      expect(line).not.toContain('<EMAIL_1>');
    }
  });
});

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
