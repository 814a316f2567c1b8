import type { TieredClassification, TieredClassifier } from '../tiered.js';
import { type Classification, INTENTS, type Intent } from '../types.js';
import type { LabelledExample } from './dataset.js';

/** What `npm run eval` and the CI eval test hold the classifier to. */
export interface EvalTargets {
  /** Share of in-scope utterances (gold intent ≠ out_of_scope) given exactly their gold intent. */
  minAccuracy: number;
  /** Share of out_of_scope utterances answered out of scope. */
  minOosRecall: number;
  /** Share of talk_to_human utterances that end in a handoff. */
  minHandoffRate: number;
}

export const DEFAULT_TARGETS: EvalTargets = { minAccuracy: 0.95, minOosRecall: 0.9, minHandoffRate: 1 };

export interface IntentStats {
  intent: Intent;
  /** Gold examples of this intent. */
  support: number;
  /** Examples predicted as this intent. */
  predicted: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface EvalMiss {
  text: string;
  gold: Intent;
  predicted: Intent;
  confidence: number;
  tier: Classification['tier'];
  handoff: boolean;
}

export interface EvalReport {
  total: number;
  inScopeTotal: number;
  inScopeAccuracy: number;
  oosTotal: number;
  oosRecall: number;
  /** talk_to_human utterances ending in a handoff / all talk_to_human utterances (1 when there are none). */
  talkToHumanHandoffRate: number;
  /** Answered by an AI handler: in scope, no handoff. */
  automatedShare: number;
  /** Any utterance answered with the wrong intent and no handoff: the errors a customer would see. */
  confidentWrong: number;
  perIntent: IntentStats[];
  /** confusion[gold][predicted] = count. */
  confusion: Record<Intent, Record<Intent, number>>;
  tiers: Record<Classification['tier'], number>;
  misses: EvalMiss[];
}

const ratio = (a: number, b: number, empty = 1) => (b === 0 ? empty : a / b);

export function buildReport(
  examples: readonly LabelledExample[],
  answers: readonly TieredClassification[],
): EvalReport {
  const confusion = Object.fromEntries(
    INTENTS.map((g) => [g, Object.fromEntries(INTENTS.map((p) => [p, 0]))]),
  ) as Record<Intent, Record<Intent, number>>;
  const tiers: Record<Classification['tier'], number> = { rules: 0, local: 0, llm: 0 };
  const misses: EvalMiss[] = [];
  let inScopeTotal = 0;
  let inScopeOk = 0;
  let oosTotal = 0;
  let oosOk = 0;
  let humanTotal = 0;
  let humanHandoff = 0;
  let automated = 0;
  let confidentWrong = 0;
  examples.forEach((ex, i) => {
    const a = answers[i] as TieredClassification;
    confusion[ex.intent][a.intent]++;
    tiers[a.tier]++;
    if (ex.intent === 'out_of_scope') {
      oosTotal++;
      if (a.outOfScope) oosOk++;
    } else {
      inScopeTotal++;
      if (a.intent === ex.intent) inScopeOk++;
    }
    if (ex.intent === 'talk_to_human') {
      humanTotal++;
      if (a.handoff) humanHandoff++;
    }
    if (!a.handoff && !a.outOfScope) automated++;
    if (a.intent !== ex.intent) {
      if (!a.handoff) confidentWrong++;
      misses.push({
        text: ex.text,
        gold: ex.intent,
        predicted: a.intent,
        confidence: a.confidence,
        tier: a.tier,
        handoff: a.handoff,
      });
    }
  });
  const perIntent = INTENTS.map((intent): IntentStats => {
    const tp = confusion[intent][intent];
    const support = INTENTS.reduce((s, p) => s + confusion[intent][p], 0);
    const predicted = INTENTS.reduce((s, g) => s + confusion[g][intent], 0);
    const precision = ratio(tp, predicted, 0);
    const recall = ratio(tp, support, 0);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { intent, support, predicted, precision, recall, f1 };
  });
  return {
    total: examples.length,
    inScopeTotal,
    inScopeAccuracy: ratio(inScopeOk, inScopeTotal),
    oosTotal,
    oosRecall: ratio(oosOk, oosTotal),
    talkToHumanHandoffRate: ratio(humanHandoff, humanTotal),
    automatedShare: ratio(automated, examples.length, 0),
    confidentWrong,
    perIntent,
    confusion,
    tiers,
    misses,
  };
}

/** Classifies every example in file order (sequentially: the LLM tier, if any, sees one request at a time). */
export async function evaluate(
  examples: readonly LabelledExample[],
  classifier: TieredClassifier,
): Promise<EvalReport> {
  const answers: TieredClassification[] = [];
  for (const ex of examples) answers.push(await classifier.classify(ex.text));
  return buildReport(examples, answers);
}

/** Every target the report misses, as a sentence; empty when all are met. */
export function missedTargets(report: EvalReport, targets: EvalTargets): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const out: string[] = [];
  if (report.inScopeAccuracy < targets.minAccuracy)
    out.push(`in-scope accuracy ${pct(report.inScopeAccuracy)} < ${pct(targets.minAccuracy)}`);
  if (report.oosRecall < targets.minOosRecall)
    out.push(`out-of-scope recall ${pct(report.oosRecall)} < ${pct(targets.minOosRecall)}`);
  if (report.talkToHumanHandoffRate < targets.minHandoffRate)
    out.push(`talk_to_human handoff rate ${pct(report.talkToHumanHandoffRate)} < ${pct(targets.minHandoffRate)}`);
  return out;
}
