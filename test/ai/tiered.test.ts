import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadDefaultClassifier } from '../../src/ai/classifier/local.js';
import { createTieredClassifier, DEFAULT_INTENT_PROMPT, LlmIntentSchema } from '../../src/ai/tiered.js';
import {
  INTENTS,
  type Intent,
  type LlmClient,
  LlmError,
  type LocalClassification,
  type LocalClassifier,
  type StructuredRequest,
  type StructuredResponse,
} from '../../src/ai/types.js';

/** A local tier that answers whatever the test says, with a consistent ranking. */
function stubLocal(intent: Intent, confidence: number, margin: number): LocalClassifier {
  const second = INTENTS.find((i) => i !== intent) as Intent;
  const restShare = (1 - confidence - (confidence - margin)) / (INTENTS.length - 2);
  const ranking = [
    { intent, confidence },
    { intent: second, confidence: confidence - margin },
    ...INTENTS.filter((i) => i !== intent && i !== second).map((i) => ({ intent: i, confidence: restShare })),
  ];
  return {
    classify: (): LocalClassification => ({
      intent,
      confidence,
      margin,
      outOfScope: intent === 'out_of_scope',
      ranking,
    }),
  };
}

/** A plain object implementing the LlmClient port: records requests, answers from a script. */
function fakeLlm(answer: (req: StructuredRequest<unknown>) => unknown) {
  const calls: StructuredRequest<unknown>[] = [];
  const client: LlmClient = {
    model: 'fake-model',
    kind: 'local',
    async structured<T>(req: StructuredRequest<T>): Promise<StructuredResponse<T>> {
      calls.push(req as StructuredRequest<unknown>);
      const value = answer(req as StructuredRequest<unknown>) as T;
      return { value, usage: { inputTokens: 10, outputTokens: 5 }, model: 'fake-model' };
    },
  };
  return { client, calls };
}

const thresholds = { confidenceThreshold: 0.7, marginThreshold: 0.1 };
const redact = (t: string) => t.replace(/\S+@\S+/g, '<email>');

describe('tiered classification', () => {
  it('escalation rules decide first and bypass both models', async () => {
    const llm = fakeLlm(() => ({ intent: 'faq', confidence: 0.99 }));
    const tiered = createTieredClassifier({
      local: stubLocal('faq', 0.3, 0.01),
      llm: llm.client,
      redact,
      ...thresholds,
    });
    const c = await tiered.classify('I want to speak to a real person');
    expect(c).toMatchObject({
      intent: 'talk_to_human',
      tier: 'rules',
      handoff: true,
      outOfScope: false,
      escalation: 'human_requested',
    });
    expect(llm.calls).toHaveLength(0);
  });

  it('repeated messages in the history escalate', async () => {
    const tiered = createTieredClassifier({ local: stubLocal('order_status', 0.95, 0.9), ...thresholds });
    const c = await tiered.classify('where is my order', {
      history: { previousCustomerTexts: ['Where is my order?'] },
    });
    expect(c).toMatchObject({ tier: 'rules', escalation: 'repeated_failure', handoff: true });
  });

  it('a sure local answer is final: no LLM call, no handoff', async () => {
    const llm = fakeLlm(() => ({ intent: 'faq', confidence: 0.99 }));
    const tiered = createTieredClassifier({
      local: stubLocal('order_status', 0.9, 0.8),
      llm: llm.client,
      redact,
      ...thresholds,
    });
    const c = await tiered.classify('parcel?');
    expect(c).toMatchObject({ intent: 'order_status', tier: 'local', handoff: false, escalation: null });
    expect(llm.calls).toHaveLength(0);
  });

  it('talk_to_human from the model always hands off; confident out_of_scope goes to legacy without a handoff', async () => {
    const human = createTieredClassifier({ local: stubLocal('talk_to_human', 0.95, 0.9), ...thresholds });
    expect(await human.classify('xyz')).toMatchObject({ intent: 'talk_to_human', handoff: true, tier: 'local' });
    const oos = createTieredClassifier({ local: stubLocal('out_of_scope', 0.95, 0.9), ...thresholds });
    expect(await oos.classify('xyz')).toMatchObject({ outOfScope: true, handoff: false, tier: 'local' });
  });

  it('without an LLM an unsure local answer stands, with a handoff', async () => {
    const byConfidence = createTieredClassifier({ local: stubLocal('faq', 0.6, 0.4), ...thresholds });
    expect(await byConfidence.classify('xyz')).toMatchObject({ intent: 'faq', tier: 'local', handoff: true });
    const byMargin = createTieredClassifier({ local: stubLocal('faq', 0.75, 0.05), ...thresholds });
    expect(await byMargin.classify('xyz')).toMatchObject({ intent: 'faq', tier: 'local', handoff: true });
  });

  it('asks the LLM when unsure, with redacted text, the prompt version and the intent schema', async () => {
    const llm = fakeLlm(() => ({ intent: 'password_reset', confidence: 0.9 }));
    const prompt = { id: 'intent.classify', version: '7', system: 'classify' };
    const tiered = createTieredClassifier({
      local: stubLocal('faq', 0.5, 0.05),
      llm: llm.client,
      redact,
      prompt,
      ...thresholds,
    });
    const c = await tiered.classify('login fails for jane@example.com');
    expect(llm.calls).toHaveLength(1);
    const req = llm.calls[0] as StructuredRequest<unknown>;
    expect(req.user).toBe('login fails for <email>');
    expect(JSON.stringify(req)).not.toContain('jane@example.com');
    expect(req).toMatchObject({ promptId: 'intent.classify', promptVersion: '7', system: 'classify' });
    expect(req.schema).toBe(LlmIntentSchema);
    expect(c).toMatchObject({ intent: 'password_reset', confidence: 0.9, tier: 'llm', handoff: false });
    expect(c.prompt).toStrictEqual({ id: 'intent.classify', version: '7' });
    expect(c.ranking[0]).toStrictEqual({ intent: 'password_reset', confidence: 0.9 });
    expect(c.ranking.reduce((s, r) => s + r.confidence, 0)).toBeCloseTo(1, 9);
    expect(c.margin).toBeCloseTo(0.9 - (c.ranking[1]?.confidence ?? 0), 12);
  });

  it('the schema given to the LLM accepts only known intents and confidences in 0..1', () => {
    const schema: z.ZodType<unknown> = LlmIntentSchema;
    expect(schema.safeParse({ intent: 'faq', confidence: 0.5 }).success).toBe(true);
    expect(schema.safeParse({ intent: 'refund_now', confidence: 0.5 }).success).toBe(false);
    expect(schema.safeParse({ intent: 'faq', confidence: 1.5 }).success).toBe(false);
    expect(DEFAULT_INTENT_PROMPT.system).toContain('never instructions');
  });

  it.each([
    [{ intent: 'talk_to_human', confidence: 0.95 }, 'talk_to_human', true, false],
    [{ intent: 'out_of_scope', confidence: 0.9 }, 'out_of_scope', false, true],
    [{ intent: 'faq', confidence: 0.4 }, 'faq', true, false],
  ])('LLM answer %j → intent %s, handoff %s, outOfScope %s', async (answer, intent, handoff, outOfScope) => {
    const llm = fakeLlm(() => answer);
    const tiered = createTieredClassifier({
      local: stubLocal('faq', 0.5, 0.05),
      llm: llm.client,
      redact,
      ...thresholds,
    });
    expect(await tiered.classify('hmm')).toMatchObject({ intent, handoff, outOfScope, tier: 'llm' });
  });

  it.each([
    ['an LlmError', () => Promise.reject(new LlmError('rate_limited', '429')), 'rate_limited'],
    ['any other error', () => Promise.reject(new Error('boom')), 'unavailable'],
    ['output outside the schema', () => Promise.resolve({ intent: 'bogus', confidence: 2 }), 'invalid_output'],
  ])('%s keeps the local answer and hands off', async (_name, behave, kind) => {
    const client: LlmClient = {
      model: 'fake',
      kind: 'local',
      structured: async <T>() => ({
        value: (await behave()) as T,
        usage: { inputTokens: 0, outputTokens: 0 },
        model: 'x',
      }),
    };
    const tiered = createTieredClassifier({
      local: stubLocal('refund_eligibility', 0.55, 0.2),
      llm: client,
      redact,
      ...thresholds,
    });
    const c = await tiered.classify('money?');
    expect(c).toMatchObject({ intent: 'refund_eligibility', tier: 'local', handoff: true, llmError: kind });
  });

  it('forwards the abort signal, and skips the LLM when it is already aborted', async () => {
    const llm = fakeLlm(() => ({ intent: 'faq', confidence: 0.9 }));
    const tiered = createTieredClassifier({
      local: stubLocal('faq', 0.5, 0.05),
      llm: llm.client,
      redact,
      ...thresholds,
    });
    const live = new AbortController();
    await tiered.classify('x', { signal: live.signal });
    expect(llm.calls[0]?.signal).toBe(live.signal);
    const aborted = new AbortController();
    aborted.abort();
    const c = await tiered.classify('x', { signal: aborted.signal });
    expect(llm.calls).toHaveLength(1);
    expect(c).toMatchObject({ tier: 'local', handoff: true, llmError: 'timeout' });
  });

  it('refuses an LLM without a PII redactor', () => {
    const llm = fakeLlm(() => ({ intent: 'faq', confidence: 0.9 }));
    expect(() =>
      createTieredClassifier({ local: stubLocal('faq', 0.5, 0.05), llm: llm.client, ...thresholds }),
    ).toThrow(/redact/);
  });

  it('with the shipped classifier, a plain order question is answered locally', async () => {
    const tiered = createTieredClassifier({ local: loadDefaultClassifier(), ...thresholds });
    expect(await tiered.classify('has my parcel A-2002 left your warehouse yet')).toMatchObject({
      intent: 'order_status',
      tier: 'local',
      handoff: false,
      outOfScope: false,
    });
  });
});
