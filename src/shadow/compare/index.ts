export { type CandidateOutcome, type CompareInput, compareAnswers, decodeWire } from './classify.js';
export {
  COMPARATORS,
  type Comparator,
  type ComparatorResult,
  canonicalDecimal,
  deepEqual,
  textSimilarity,
  toE164,
} from './comparators.js';
export { type DiffOptions, diffValues, normalisePath, TRUNCATED_PATH } from './diff.js';
export { inferRules, rulesFor } from './infer.js';
