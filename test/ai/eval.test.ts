import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabelledFile } from '../../src/ai/classifier/dataset.js';
import { buildReport, DEFAULT_TARGETS, evaluate, missedTargets } from '../../src/ai/classifier/evaluate.js';
import { loadDefaultClassifier } from '../../src/ai/classifier/local.js';
import { createTieredClassifier, type TieredClassification } from '../../src/ai/tiered.js';
import { runEval } from '../../src/cli/eval.js';
import { loadConfig } from '../../src/config.js';
import { dataPath } from '../../src/paths.js';

// The configured defaults, not whatever the machine's environment says.
const { confidenceThreshold, marginThreshold } = loadConfig({ env: {} }).ai;
const thresholds = { confidenceThreshold, marginThreshold };
const dir = mkdtempSync(join(tmpdir(), 'gw-eval-'));

describe('held-out evaluation (data/intents/eval.jsonl, local tier + rules, no LLM)', () => {
  it('meets the targets: in-scope accuracy ≥ 95 %, out-of-scope recall ≥ 90 %, talk_to_human → handoff 100 %', async () => {
    const examples = readLabelledFile(dataPath('intents', 'eval.jsonl'));
    expect(examples.length).toBeGreaterThanOrEqual(300);
    const tiered = createTieredClassifier({ local: loadDefaultClassifier(), ...thresholds });
    const report = await evaluate(examples, tiered);
    expect(report.tiers.llm).toBe(0);
    expect(report.inScopeAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.oosRecall).toBeGreaterThanOrEqual(0.9);
    expect(report.talkToHumanHandoffRate).toBe(1);
    expect(missedTargets(report, DEFAULT_TARGETS)).toStrictEqual([]);
  });
});

describe('report and targets', () => {
  const answer = (intent: TieredClassification['intent'], handoff = false): TieredClassification => ({
    intent,
    confidence: 0.9,
    margin: 0.5,
    outOfScope: intent === 'out_of_scope',
    ranking: [],
    handoff,
    tier: 'local',
    escalation: null,
  });

  it('computes accuracy, OOS recall, handoff rate, precision/recall and the confusion table', () => {
    const report = buildReport(
      [
        { text: 'a', intent: 'order_status' },
        { text: 'b', intent: 'order_status' },
        { text: 'c', intent: 'faq' },
        { text: 'd', intent: 'talk_to_human' },
        { text: 'e', intent: 'out_of_scope' },
        { text: 'f', intent: 'out_of_scope' },
      ],
      [
        answer('order_status'),
        answer('faq'),
        answer('faq'),
        answer('order_status', true),
        answer('out_of_scope'),
        answer('faq'),
      ],
    );
    expect(report.inScopeAccuracy).toBeCloseTo(2 / 4, 12);
    expect(report.oosRecall).toBe(0.5);
    expect(report.talkToHumanHandoffRate).toBe(1);
    expect(report.confusion.order_status).toMatchObject({ order_status: 1, faq: 1 });
    const faq = report.perIntent.find((s) => s.intent === 'faq');
    expect(faq).toMatchObject({ support: 1, predicted: 3, recall: 1 });
    expect(faq?.precision).toBeCloseTo(1 / 3, 12);
    expect(report.confidentWrong).toBe(2);
    expect(missedTargets(report, DEFAULT_TARGETS)).toHaveLength(2);
  });
});

describe('npm run eval (runEval)', () => {
  const deps = { classifier: loadDefaultClassifier(), thresholds };
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runEval(
      argv,
      (s) => out.push(s),
      (s) => err.push(s),
      deps,
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('exits 2 on a bad file and lists every bad line with its number', async () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      [
        '{"text":"where is my parcel","intent":"order_status"}',
        'not json',
        '{"text":"hi","intent":"greeting"}',
        '',
        '{"text":"","intent":"faq"}',
        '{"text":"x","intent":"faq","extra":1}',
      ].join('\n'),
    );
    const r = await run([file]);
    expect(r.code).toBe(2);
    for (const n of [2, 3, 5, 6]) expect(r.err).toContain(`line ${n}:`);
    expect(r.err).not.toContain('line 1:');
  });

  it('exits 1 below a target and names it; 0 when met', async () => {
    const file = join(dir, 'small.jsonl');
    writeFileSync(
      file,
      [
        '{"text":"my parcel has not arrived, where is it","intent":"order_status"}',
        '{"text":"i forgot my password","intent":"password_reset"}',
        '{"text":"where is my parcel","intent":"faq"}',
        '{"text":"tell me a joke about cats","intent":"out_of_scope"}',
      ].join('\n'),
    );
    const strict = await run([file, '--min-accuracy', '0.9']);
    expect(strict.code).toBe(1);
    expect(strict.err).toContain('in-scope accuracy');
    expect(strict.out).toMatch(/confusion/);
    const lax = await run([file, '--min-accuracy', '0.6', '--errors']);
    expect(lax.code).toBe(0);
    expect(lax.out).toContain('"where is my parcel"');
  });

  it('exits 2 on bad arguments', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['x.jsonl', '--min-accuracy', '2'])).code).toBe(2);
    expect((await run([join(dir, 'missing.jsonl')])).code).toBe(2);
  });
});
