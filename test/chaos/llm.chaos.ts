import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { type LlmMode, type ModeLlm, startModeLlm } from './support/fake-llm.js';
import { chaosFlags, countBy, pick, runChaos } from './support/scenario.js';

/**
 * LLM endpoint faults (in process): the gateway's OpenAI-compatible endpoint answers 429, 500, or hangs. The local
 * tier is made unsure on purpose (`ai.confidenceThreshold: 1`; it is 0.999 sure of the FAQ text), so every FAQ message
 * goes through the LLM twice (classification, then the grounded answer). While the LLM fails, customers get the
 * legacy bot's answer (a handoff), never an error; once it answers again the automation serves again.
 */
let s: Stack;
let llm: ModeLlm;

beforeAll(async () => {
  llm = await startModeLlm();
  s = await startStack({
    flags: chaosFlags(),
    overrides: {
      ai: {
        confidenceThreshold: 1,
        marginThreshold: 1,
        llm: { baseUrl: llm.baseUrl, apiKey: 'chaos-key', timeoutMs: 400, maxRetries: 1 },
      },
    },
  });
});
afterAll(async () => {
  await s?.close();
  await llm?.close();
});
beforeEach(() => {
  llm.setMode('ok');
  s.sim.reset();
});

function scenario(fault: string, m: LlmMode) {
  return async () => {
    const before = { ...llm.calls };
    const row = await runChaos({
      fault,
      gateway: 'in-process',
      baseUrl: s.gw.publicUrl,
      sim: s.sim,
      inject: () => llm.setMode(m),
      heal: () => llm.setMode('ok'),
      newAfter: ['slice', 'ai_faq'],
      check(records, r) {
        const calls = llm.calls[m] - (before[m] ?? 0);
        r.notes.push(`LLM requests answered with ${m}: ${calls}`);
        if (calls === 0) r.failures.push(`the LLM was never called while it answered ${m}`);
        const faq = pick(records, 'ai_faq', 'fault').filter((x) => x.endPhase === 'fault');
        const bad = faq.filter((x) => x.status !== 201 || x.servedBy !== 'legacy');
        if (bad.length) {
          r.failures.push(
            `FAQ messages during the LLM fault: ${JSON.stringify(countBy(faq, (x) => `${x.status} ${x.servedBy}/${x.reason}`))}`,
          );
        }
      },
    });
    expect(row.failures).toEqual([]);
  };
}

describe('chaos: LLM endpoint faults (in process)', () => {
  it('LLM answers 429', scenario('LLM 429', '429'));
  it('LLM answers 500', scenario('LLM 500', '500'));
  it('LLM hangs', scenario('LLM hangs', 'hang'));
});
