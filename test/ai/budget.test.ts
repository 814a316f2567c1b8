import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBudgets, SpentLlmError, withBudget } from '../../src/ai/budget.js';
import { type LlmClient, LlmError, type StructuredRequest, type StructuredResponse } from '../../src/ai/types.js';

const prices = { inputUsdPerMTok: 0.15, outputUsdPerMTok: 0.6 };
const T0 = Date.parse('2026-11-24T23:59:58.000Z');

function clock(start: number) {
  let t = start;
  return { now: () => t, set: (ms: number) => (t = ms) };
}

const Schema = z.object({ answer: z.string() });
const request: StructuredRequest<{ answer: string }> = {
  promptId: 'faq-answer',
  promptVersion: '1',
  system: 's',
  user: 'u',
  schema: Schema,
  schemaName: 'faq',
};

/** A client that records calls and answers with the scripted outcome. */
function fakeLlm(outcome: 'ok' | 'invalid' | 'timeout' = 'ok') {
  const calls: string[] = [];
  const llm: LlmClient = {
    model: 'gpt-test',
    kind: 'openai',
    async structured<T>(req: StructuredRequest<T>): Promise<StructuredResponse<T>> {
      calls.push(req.promptId);
      const usage = { inputTokens: 700, outputTokens: 300 };
      if (outcome === 'invalid')
        throw new SpentLlmError('invalid_output', 'bad', { ...usage, estimated: false }, 'gpt-test');
      if (outcome === 'timeout') throw new LlmError('timeout', 'slow');
      return { value: req.schema.parse({ answer: 'yes' }), usage, model: 'gpt-test' };
    },
  };
  return { llm, calls };
}

describe('daily budgets per slice', () => {
  it('charges tokens and USD at the configured prices and reports them to onCharge', () => {
    const charged: unknown[] = [];
    const b = createBudgets({ budgets: {}, prices, onCharge: (...args) => charged.push(args) });
    const res = b.charge('intent.faq', 'gpt-test', { inputTokens: 1_000_000, outputTokens: 500_000 });
    expect(res.tokens).toBe(1_500_000);
    expect(res.usd).toBeCloseTo(0.15 + 0.3, 10);
    expect(charged).toEqual([['intent.faq', 'gpt-test', 1_500_000, res.usd]]);
  });

  it('refuses a slice once its token budget is reached, other slices unaffected', () => {
    const b = createBudgets({ budgets: { 'intent.faq': { tokensPerDay: 2_000 } }, prices });
    expect(b.check('intent.faq')).toEqual({ ok: true });
    b.charge('intent.faq', 'm', { inputTokens: 1_000, outputTokens: 500 });
    expect(b.check('intent.faq').ok).toBe(true);
    b.charge('intent.faq', 'm', { inputTokens: 400, outputTokens: 100 });
    expect(b.check('intent.faq')).toEqual({
      ok: false,
      reason: 'budget_exceeded',
      unit: 'tokens',
      used: 2_000,
      limit: 2_000,
    });
    b.charge('intent.order_status', 'm', { inputTokens: 1e6, outputTokens: 1e6 });
    expect(b.check('intent.order_status')).toEqual({ ok: true });
  });

  it('refuses a slice once its USD budget is reached', () => {
    const b = createBudgets({ budgets: { 'intent.faq': { usdPerDay: 0.01 } }, prices });
    b.charge('intent.faq', 'm', { inputTokens: 20_000, outputTokens: 10_000 }); // 0.003 + 0.006
    expect(b.check('intent.faq').ok).toBe(true);
    b.charge('intent.faq', 'm', { inputTokens: 0, outputTokens: 2_000 }); // +0.0012
    const verdict = b.check('intent.faq');
    expect(verdict).toMatchObject({ ok: false, reason: 'budget_exceeded', unit: 'usd', limit: 0.01 });
    expect(verdict.ok === false && verdict.used).toBeCloseTo(0.0102, 10);
  });

  it('resets at midnight UTC (injected clock)', () => {
    const c = clock(T0);
    const b = createBudgets({ budgets: { 'intent.faq': { tokensPerDay: 100 } }, prices, now: c.now });
    b.charge('intent.faq', 'm', { inputTokens: 100, outputTokens: 0 });
    expect(b.check('intent.faq').ok).toBe(false);
    expect(b.snapshot()).toMatchObject({ day: '2026-11-24', slices: { 'intent.faq': { tokens: 100 } } });

    c.set(Date.parse('2026-11-24T23:59:59.999Z'));
    expect(b.check('intent.faq').ok).toBe(false);
    c.set(Date.parse('2026-11-25T00:00:00.000Z'));
    expect(b.check('intent.faq')).toEqual({ ok: true });
    expect(b.snapshot()).toEqual({
      day: '2026-11-25',
      slices: { 'intent.faq': { tokens: 0, usd: 0, limits: { tokensPerDay: 100 } } },
    });
  });

  it('counts slices without a budget in the snapshot but never refuses them', () => {
    const b = createBudgets({ budgets: {}, prices });
    b.charge('classify', 'local-deterministic-v1', { inputTokens: 10, outputTokens: 5 });
    expect(b.check('classify')).toEqual({ ok: true });
    expect(b.snapshot().slices.classify).toMatchObject({ tokens: 15, limits: {} });
  });
});

describe('withBudget', () => {
  it('charges a successful call to its slice under the model that answered', async () => {
    const charged: unknown[] = [];
    const b = createBudgets({ budgets: {}, prices, onCharge: (...args) => charged.push(args) });
    const { llm } = fakeLlm('ok');
    const res = await withBudget(llm, b, 'intent.faq').structured(request);
    expect(res.value).toEqual({ answer: 'yes' });
    expect(b.snapshot().slices['intent.faq']?.tokens).toBe(1_000);
    expect(charged[0]).toEqual(['intent.faq', 'gpt-test', 1_000, (700 * 0.15 + 300 * 0.6) / 1e6]);
  });

  it('throws budget_exceeded before calling the model once the slice is over', async () => {
    const b = createBudgets({ budgets: { 'intent.faq': { tokensPerDay: 1_500 } }, prices });
    const { llm, calls } = fakeLlm('ok');
    const guarded = withBudget(llm, b, 'intent.faq');
    await guarded.structured(request);
    await guarded.structured(request); // 1_000 < 1_500 before it: allowed, ends at 2_000
    const err = await guarded.structured(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).kind).toBe('budget_exceeded');
    expect(calls).toHaveLength(2);
  });

  it('charges invalid_output (tokens were spent) and not a timeout (nothing was reported)', async () => {
    const b = createBudgets({ budgets: {}, prices });
    const invalid = fakeLlm('invalid');
    const timeout = fakeLlm('timeout');
    await expect(withBudget(invalid.llm, b, 'intent.faq').structured(request)).rejects.toMatchObject({
      kind: 'invalid_output',
    });
    await expect(withBudget(timeout.llm, b, 'intent.faq').structured(request)).rejects.toMatchObject({
      kind: 'timeout',
    });
    expect(b.snapshot().slices['intent.faq']?.tokens).toBe(1_000);
  });
});
