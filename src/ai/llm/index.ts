import type { CallObservers } from '../budget.js';
import type { LlmClient } from '../types.js';
import { createLocalModel, type LocalHandlers } from './local.js';
import { createOpenAiClient } from './openai.js';

export { createLocalModel, LOCAL_MODEL, type LocalHandler, type LocalHandlers } from './local.js';
export { createOpenAiClient, type OpenAiClientOptions, strictResponseFormat } from './openai.js';

/** The fields of `config.ai.llm` the clients use. */
export interface LlmConfig {
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  model: string;
  timeoutMs: number;
  maxRetries: number;
}

export interface CreateLlmClientOptions extends CallObservers {
  /** promptId → deterministic answer; used when no `baseUrl` is configured. */
  localHandlers: LocalHandlers;
}

/** `config.ai.llm` → the OpenAI-compatible client when `baseUrl` is set, else the embedded deterministic model. */
export function createLlmClient(config: LlmConfig, opts: CreateLlmClientOptions): LlmClient {
  const { localHandlers, logger, onCall } = opts;
  if (config.baseUrl === undefined) return createLocalModel({ handlers: localHandlers, logger, onCall });
  return createOpenAiClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    model: config.model,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    logger,
    onCall,
  });
}
