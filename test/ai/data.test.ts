import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type LabelledExample, parseLabelledJsonl } from '../../src/ai/classifier/dataset.js';
import { loadDefaultClassifier } from '../../src/ai/classifier/local.js';
import { normalizeText, tokenize } from '../../src/ai/classifier/normalize.js';
import { INTENTS } from '../../src/ai/types.js';
import { dataPath } from '../../src/paths.js';

function load(name: string): LabelledExample[] {
  const parsed = parseLabelledJsonl(readFileSync(dataPath('intents', name), 'utf8'));
  expect(parsed.problems).toStrictEqual([]);
  return parsed.examples;
}

const train = load('train.jsonl');
const evalSet = load('eval.jsonl');

/** A second, independent normalisation: only letters and digits survive, so "A-1001" stays "a1001". */
const bare = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
const tokens = (s: string) => new Set(tokenize(normalizeText(s)));
function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  const union = a.size + b.size - inter;
  return union === 0 ? 1 : inter / union;
}

describe('intent data', () => {
  it('has at least 90 training utterances for every intent', () => {
    for (const intent of INTENTS) expect(train.filter((e) => e.intent === intent).length).toBeGreaterThanOrEqual(90);
  });

  it('has at least 300 evaluation utterances, at least 40 per intent', () => {
    expect(evalSet.length).toBeGreaterThanOrEqual(300);
    for (const intent of INTENTS) expect(evalSet.filter((e) => e.intent === intent).length).toBeGreaterThanOrEqual(40);
  });

  it('has no evaluation utterance equal to a training one after normalisation (two normalisations)', () => {
    const trainNorm = new Set(train.map((e) => normalizeText(e.text)));
    const trainBare = new Set(train.map((e) => bare(e.text)));
    const clashes = evalSet.filter((e) => trainNorm.has(normalizeText(e.text)) || trainBare.has(bare(e.text)));
    expect(clashes.map((e) => e.text)).toStrictEqual([]);
  });

  it('has no near-duplicate: token Jaccard between any eval and any train utterance stays below 0.9', () => {
    const trainTokens = train.map((e) => ({ text: e.text, t: tokens(e.text) }));
    const near: string[] = [];
    for (const e of evalSet) {
      const t = tokens(e.text);
      for (const tr of trainTokens) if (jaccard(t, tr.t) >= 0.9) near.push(`${e.text} ~ ${tr.text}`);
    }
    expect(near).toStrictEqual([]);
  });

  it('has no duplicate within the evaluation set', () => {
    const seen = new Set<string>();
    const dups = evalSet.filter((e) => seen.size === seen.add(normalizeText(e.text)).size);
    expect(dups.map((e) => e.text)).toStrictEqual([]);
  });

  it('trains the shipped classifier on train.jsonl only', () => {
    expect(loadDefaultClassifier().info.examples).toBe(train.length);
  });

  it('the overlap check itself catches a lightly edited copy', () => {
    const copy = `${train[0]?.text ?? ''}!!`;
    expect(normalizeText(copy)).toBe(normalizeText(train[0]?.text ?? ''));
    expect(jaccard(tokens('Where is my order A-1001 please'), tokens('where is my order A-2002, please?'))).toBe(1);
  });
});
