import { loadDefaultClassifier } from '../ai/classifier/local.js';
import { createTieredClassifier } from '../ai/tiered.js';
import type { LocalClassifier } from '../ai/types.js';

export interface ClassifyThresholds {
  confidenceThreshold: number;
  marginThreshold: number;
}

/**
 * `gateway classify "<text>"`: prints `{intent, confidence, margin, outOfScope, handoff, tier, escalation}` as one
 * JSON line. Rules and the local classifier only — this command never calls an LLM, so it runs offline and answers
 * the same way every time. Exit 2 without text.
 */
export async function runClassify(
  text: string,
  out: (s: string) => void,
  err: (s: string) => void,
  thresholds: ClassifyThresholds,
  local?: LocalClassifier,
): Promise<number> {
  if (text.trim() === '') {
    err('classify needs the customer text: gateway classify "where is my order A-1001"');
    return 2;
  }
  const { confidenceThreshold, marginThreshold } = thresholds; // never the config's llm: this command stays offline
  const tiered = createTieredClassifier({
    local: local ?? loadDefaultClassifier(),
    confidenceThreshold,
    marginThreshold,
  });
  const c = await tiered.classify(text);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  out(
    JSON.stringify({
      intent: c.intent,
      confidence: round(c.confidence),
      margin: round(c.margin),
      outOfScope: c.outOfScope,
      handoff: c.handoff,
      tier: c.tier,
      escalation: c.escalation,
    }),
  );
  return 0;
}
