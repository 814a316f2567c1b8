export {
  DatasetError,
  type DatasetProblem,
  type LabelledExample,
  LabelledExampleSchema,
  parseLabelledJsonl,
  readLabelledFile,
} from './dataset.js';
export {
  buildReport,
  DEFAULT_TARGETS,
  type EvalReport,
  type EvalTargets,
  evaluate,
  type IntentStats,
  missedTargets,
} from './evaluate.js';
export {
  type LocalClassifierInfo,
  type LocalClassifierOptions,
  loadDefaultClassifier,
  type TrainedLocalClassifier,
  trainLocalClassifier,
} from './local.js';
export { normalizeText, tokenize } from './normalize.js';
