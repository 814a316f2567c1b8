import { performance } from 'node:perf_hooks';
import { dataPath } from '../../paths.js';
import { INTENTS, type LocalClassification, type LocalClassifier, type RankedIntent } from '../types.js';
import { type LabelledExample, readLabelledFile } from './dataset.js';
import { DEFAULT_FEATURE_OPTIONS, extractFeatures, type FeatureOptions } from './features.js';
import { isPlaceholder, normalizeText, tokenize } from './normalize.js';
import {
  DEFAULT_SOFTMAX_OPTIONS,
  fitTemperature,
  logits,
  type SoftmaxModel,
  type SoftmaxTrainOptions,
  type SparseRow,
  softmax,
  trainSoftmax,
} from './softmax.js';

export interface LocalClassifierOptions {
  features?: Partial<FeatureOptions>;
  training?: Partial<SoftmaxTrainOptions>;
  /** Every k-th example of each intent is held out of a first fit to calibrate the temperature (5 → 20 %). */
  calibrationEvery?: number;
  /** An in-scope top intent below this calibrated probability makes the text out of scope. */
  minInScopeConfidence?: number;
  /** Text with no known word and fewer known character n-grams than this share is out of scope (gibberish). */
  minKnownCharShare?: number;
}

export interface LocalClassifierInfo {
  examples: number;
  calibrationExamples: number;
  features: number;
  temperature: number;
  /** Wall time of both fits and the calibration, ms (informational, never asserted). */
  trainingMs: number;
}

export interface TrainedLocalClassifier extends LocalClassifier {
  readonly info: LocalClassifierInfo;
}

const DEFAULTS = { calibrationEvery: 5, minInScopeConfidence: 0.3, minKnownCharShare: 0.5 };

interface Fitted {
  vocab: Map<string, number>;
  words: Set<string>;
  model: SoftmaxModel;
}

interface Vectorized {
  row: SparseRow;
  words: number;
  knownWords: number;
  charShare: number;
  /** Lexicon concepts mentioned: a domain word, even one absent from training, is never gibberish. */
  concepts: number;
  empty: boolean;
}

/** Tokens and features of one text; computed once per training example and shared by both fits. */
interface Featurized {
  tokens: string[];
  feats: Map<string, number>;
}

function featurize(text: string, fo: FeatureOptions): Featurized {
  const tokens = tokenize(normalizeText(text));
  return { tokens, feats: extractFeatures(tokens, fo) };
}

function vectorize({ tokens, feats }: Featurized, vocab: ReadonlyMap<string, number>, words: ReadonlySet<string>) {
  const idx: number[] = [];
  const val: number[] = [];
  let chars = 0;
  let knownChars = 0;
  let concepts = 0;
  for (const [f, v] of feats) {
    if (f.startsWith('k:')) concepts++;
    const i = vocab.get(f);
    const isChar = f.startsWith('c:');
    if (isChar) chars++;
    if (i === undefined) continue;
    if (isChar) knownChars++;
    idx.push(i);
    val.push(v);
  }
  // L2 over the known features only: unknown ones carry no weight and must not dilute the known ones.
  const norm = Math.sqrt(val.reduce((s, v) => s + v * v, 0)) || 1;
  const plain = tokens.filter((t) => !isPlaceholder(t));
  const out: Vectorized = {
    row: { idx: Int32Array.from(idx), val: Float64Array.from(val, (v) => v / norm) },
    words: plain.length,
    knownWords: plain.filter((t) => words.has(t)).length,
    charShare: chars === 0 ? 1 : knownChars / chars,
    concepts,
    empty: tokens.length === 0 || idx.length === 0,
  };
  return out;
}

interface Item {
  fz: Featurized;
  label: number;
}

function fitModel(items: readonly Item[], to: SoftmaxTrainOptions): Fitted {
  const vocab = new Map<string, number>();
  const words = new Set<string>();
  for (const { fz } of items) {
    for (const t of fz.tokens) if (!isPlaceholder(t)) words.add(t);
    for (const f of fz.feats.keys()) if (!vocab.has(f)) vocab.set(f, vocab.size);
  }
  const rows = items.map((it) => vectorize(it.fz, vocab, words).row);
  const labels = items.map((it) => it.label);
  return { vocab, words, model: trainSoftmax(rows, labels, vocab.size, INTENTS.length, to) };
}

/** Every k-th example *of each intent* goes to calibration, so the slice is stratified and fixed. */
function splitForCalibration(items: readonly Item[], every: number) {
  const seen = new Map<number, number>();
  const fitSet: Item[] = [];
  const calSet: Item[] = [];
  for (const it of items) {
    const n = (seen.get(it.label) ?? 0) + 1;
    seen.set(it.label, n);
    (n % every === 0 ? calSet : fitSet).push(it);
  }
  return { fitSet, calSet };
}

function rank(probs: Float64Array): RankedIntent[] {
  // Ties keep INTENTS order (Array.prototype.sort is stable), so equal scores rank the same way every time.
  return INTENTS.map((intent, i) => ({ intent, confidence: probs[i] as number })).sort(
    (a, b) => b.confidence - a.confidence,
  );
}

/**
 * Trains the local classifier: a first fit on ~80 % of the examples calibrates the softmax temperature on the
 * held-out ~20 %, then the final fit uses every example with that temperature. Out of scope is a trained class and,
 * in addition, two rules: gibberish (no known word, few known character n-grams) and a low top in-scope probability.
 * For a rule decision `ranking` stays the model's, while `intent`, `confidence` and `margin` describe the decision.
 */
export function trainLocalClassifier(
  examples: readonly LabelledExample[],
  opts: LocalClassifierOptions = {},
): TrainedLocalClassifier {
  const started = performance.now();
  const fo: FeatureOptions = { ...DEFAULT_FEATURE_OPTIONS, ...opts.features };
  const to: SoftmaxTrainOptions = { ...DEFAULT_SOFTMAX_OPTIONS, ...opts.training };
  const every = opts.calibrationEvery ?? DEFAULTS.calibrationEvery;
  const minInScope = opts.minInScopeConfidence ?? DEFAULTS.minInScopeConfidence;
  const minCharShare = opts.minKnownCharShare ?? DEFAULTS.minKnownCharShare;
  if (examples.length === 0) throw new Error('trainLocalClassifier: no examples');

  const items = examples.map((ex): Item => ({ fz: featurize(ex.text, fo), label: INTENTS.indexOf(ex.intent) }));
  const { fitSet, calSet } = splitForCalibration(items, every);
  let temperature = 1;
  if (calSet.length > 0 && fitSet.length > 0) {
    const first = fitModel(fitSet, to);
    const calLogits = calSet.map((it) => logits(first.model, vectorize(it.fz, first.vocab, first.words).row));
    temperature = fitTemperature(
      calLogits,
      calSet.map((it) => it.label),
    );
  }
  const final = fitModel(items, to);
  const info: LocalClassifierInfo = {
    examples: examples.length,
    calibrationExamples: calSet.length,
    features: final.vocab.size,
    temperature,
    trainingMs: performance.now() - started,
  };

  function classify(text: string): LocalClassification {
    const v = vectorize(featurize(text, fo), final.vocab, final.words);
    const ranking = rank(softmax(logits(final.model, v.row), temperature));
    const ruleOos = (confidence: number, margin: number): LocalClassification => ({
      intent: 'out_of_scope',
      confidence,
      margin,
      outOfScope: true,
      ranking,
    });
    if (v.empty) return ruleOos(1, 1);
    if (v.words > 0 && v.knownWords === 0 && v.concepts === 0 && v.charShare < minCharShare) return ruleOos(1, 1);
    const top = ranking[0] as RankedIntent;
    const second = ranking[1] as RankedIntent;
    if (top.intent !== 'out_of_scope' && top.confidence < minInScope) {
      // "Not confidently any in-scope intent": the mass outside the best in-scope guess.
      const confidence = 1 - top.confidence;
      return ruleOos(confidence, confidence - top.confidence);
    }
    return {
      intent: top.intent,
      confidence: top.confidence,
      margin: top.confidence - second.confidence,
      outOfScope: top.intent === 'out_of_scope',
      ranking,
    };
  }
  return { classify, info };
}

let cached: TrainedLocalClassifier | undefined;

/** The classifier trained on the shipped `data/intents/train.jsonl`, trained once per process. */
export function loadDefaultClassifier(opts?: LocalClassifierOptions): TrainedLocalClassifier {
  if (opts) return trainLocalClassifier(readLabelledFile(dataPath('intents', 'train.jsonl')), opts);
  cached ??= trainLocalClassifier(readLabelledFile(dataPath('intents', 'train.jsonl')));
  return cached;
}
