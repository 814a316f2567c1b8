import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { type Budgets, createBudgets, withBudget } from './budget.js';
import { loadDefaultClassifier } from './classifier/index.js';
import { type ConversationStore, createConversationStore } from './conversation-state.js';
import { extractUntrusted } from './guardrails/injection.js';
import { redactPii } from './guardrails/pii.js';
import { type KnowledgeBase, loadKnowledgeBase } from './kb.js';
import { createLlmClient } from './llm/index.js';
import { loadPromptCatalog, type PromptCatalog } from './prompts/catalog.js';
import { createTieredClassifier, type TieredClassifier } from './tiered.js';
import type { LlmClient, LocalClassifier } from './types.js';

/** Everything the intent handlers and the intent router need, built once at boot. */
export interface AiEngine {
  classifier: TieredClassifier;
  local: LocalClassifier;
  llm: LlmClient;
  /** The LLM with a per-slice daily budget in front of it. */
  llmFor(slice: string): LlmClient;
  budgets: Budgets;
  prompts: PromptCatalog;
  kb: KnowledgeBase;
  conversations: ConversationStore;
}

/**
 * The deterministic local model (the embedded default): answers the catalog's prompts from the local classifier and
 * the knowledge base, reading the customer's (redacted, fenced) words back from the prompt.
 */
function localHandlers(local: LocalClassifier, kb: KnowledgeBase) {
  return {
    'classify-intent': (req: { user: string }) => {
      const text = extractUntrusted(req.user)[0] ?? req.user;
      const c = local.classify(text);
      return { intent: c.intent, confidence: c.confidence };
    },
    'faq-answer': (req: { user: string }) => {
      const question = extractUntrusted(req.user)[0] ?? req.user;
      const best = kb.search(question, 1)[0];
      return best
        ? { answered: true, answer: best.article.answer, articleIds: [best.article.id] }
        : { answered: false, answer: '', articleIds: [] };
    },
  };
}

export function createAiEngine(config: Config, deps: { logger: Logger; metrics: Metrics }): AiEngine {
  const local = loadDefaultClassifier();
  const kb = loadKnowledgeBase();
  const prompts = loadPromptCatalog();
  const { metrics } = deps;
  const llm = createLlmClient(config.ai.llm, {
    localHandlers: localHandlers(local, kb),
    logger: deps.logger.child({ component: 'llm' }),
    onCall: (e) => metrics.aiLlmCalls.labels(e.model, e.outcome).inc(),
  });
  const budgets = createBudgets({
    budgets: config.ai.budgets,
    prices: { inputUsdPerMTok: config.ai.llm.inputUsdPerMTok, outputUsdPerMTok: config.ai.llm.outputUsdPerMTok },
    onCharge: (slice, model, tokens, usd) => {
      metrics.aiTokens.labels(slice, model).inc(tokens);
      metrics.aiCost.labels(slice).inc(usd);
    },
  });
  const classifyPrompt = prompts.get('classify-intent');
  const classifier = createTieredClassifier({
    local,
    llm: withBudget(llm, budgets, 'intent.classify'),
    confidenceThreshold: config.ai.confidenceThreshold,
    marginThreshold: config.ai.marginThreshold,
    prompt: { id: classifyPrompt.id, version: classifyPrompt.version, system: classifyPrompt.system },
    redact: (t) => redactPii(t).text,
  });
  const perSlice = new Map<string, LlmClient>();
  return {
    classifier,
    local,
    llm,
    llmFor(slice) {
      let c = perSlice.get(slice);
      if (!c) {
        c = withBudget(llm, budgets, slice);
        perSlice.set(slice, c);
      }
      return c;
    },
    budgets,
    prompts,
    kb,
    conversations: createConversationStore(),
  };
}
