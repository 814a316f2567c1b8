import { conceptsOf } from './lexicon.js';
import { isPlaceholder } from './normalize.js';

/** Feature extraction for the local intent classifier. */

export interface FeatureOptions {
  /** Character n-gram sizes, taken inside each word padded with spaces (like scikit-learn's `char_wb`). */
  charMin: number;
  charMax: number;
  /** Weight of word uni/bigram features relative to character n-grams (before L2 normalisation). */
  wordWeight: number;
  /** Weight of `k:<concept>` features from the domain lexicon; 0 turns the lexicon off. */
  conceptWeight: number;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = { charMin: 3, charMax: 4, wordWeight: 3, conceptWeight: 5 };

/**
 * Feature name → value: word unigrams (`w:`), word bigrams with a sentence-start marker (`b:`), and character
 * n-grams per word (`c:`), plus lexicon concepts (`k:`), each as sublinear term frequency (1 + ln count) times its
 * group's weight. Character n-grams make typos ("pasword", "adress") land near the right word.
 */
const weightOf = (f: string, opts: FeatureOptions): number =>
  f.startsWith('c:') ? 1 : f.startsWith('k:') ? opts.conceptWeight : opts.wordWeight;

export function extractFeatures(tokens: readonly string[], opts: FeatureOptions): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (f: string) => counts.set(f, (counts.get(f) ?? 0) + 1);
  let prev = '<s>';
  for (const t of tokens) {
    add(`w:${t}`);
    add(`b:${prev} ${t}`);
    prev = t;
    if (isPlaceholder(t)) continue;
    const padded = ` ${t} `;
    for (let n = opts.charMin; n <= opts.charMax; n++) {
      for (let i = 0; i + n <= padded.length; i++) add(`c:${padded.slice(i, i + n)}`);
    }
  }
  if (opts.conceptWeight > 0) for (const c of conceptsOf(tokens)) add(`k:${c}`);
  for (const [f, n] of counts) counts.set(f, (1 + Math.log(n)) * weightOf(f, opts));
  return counts;
}
