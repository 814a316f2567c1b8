import type { z } from 'zod';

/** The customer intents the gateway can route to AI automation handlers. Each is a slice `intent.<name>`. */
export const INTENTS = [
  'order_status',
  'password_reset',
  'refund_eligibility',
  'address_change',
  'faq',
  'talk_to_human',
  'out_of_scope',
] as const;
export type Intent = (typeof INTENTS)[number];

/** Deterministic escalation signals: they bypass every model and end in a handoff. */
export type EscalationSignal = 'human_requested' | 'legal_threat' | 'fraud_dispute' | 'repeated_failure';

export interface RankedIntent {
  intent: Intent;
  /** Calibrated probability, 0..1. */
  confidence: number;
}

/** What the local tier answers: no network, deterministic. */
export interface LocalClassification {
  intent: Intent;
  confidence: number;
  /** Top-1 minus top-2 confidence. */
  margin: number;
  outOfScope: boolean;
  /** All intents, most likely first. */
  ranking: RankedIntent[];
}

/** The answer of tiered classification, as `gateway classify` prints it. */
export interface Classification extends LocalClassification {
  /** The conversation must go to a human (escalation signal, talk_to_human, or unsure after every tier). */
  handoff: boolean;
  /** Which tier decided: deterministic rules, the local classifier, or the LLM. */
  tier: 'rules' | 'local' | 'llm';
  escalation: EscalationSignal | null;
}

export interface LocalClassifier {
  classify(text: string): LocalClassification;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Why an LLM call produced no usable answer. Every kind ends in a handoff or a legacy answer, never a client error. */
export type LlmErrorKind =
  | 'timeout'
  | 'rate_limited'
  | 'server'
  | 'invalid_output'
  | 'refusal'
  | 'budget_exceeded'
  | 'unavailable';

export class LlmError extends Error {
  readonly kind: LlmErrorKind;
  constructor(kind: LlmErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LlmError';
    this.kind = kind;
  }
}

export interface StructuredRequest<T> {
  /** Prompt catalog id and version, recorded on every answer, in metrics and in logs. */
  promptId: string;
  promptVersion: string;
  system: string;
  /** Customer text MUST already be PII-redacted. */
  user: string;
  schema: z.ZodType<T>;
  /** Name of the structured-output schema (letters, digits, _ and -). */
  schemaName: string;
  signal?: AbortSignal;
  maxOutputTokens?: number;
}

export interface StructuredResponse<T> {
  /** Re-validated with the zod schema, whatever the SDK returned. */
  value: T;
  usage: TokenUsage;
  model: string;
}

/** The LLM port: an OpenAI-compatible endpoint via the openai SDK, or the deterministic local model. */
export interface LlmClient {
  readonly model: string;
  readonly kind: 'openai' | 'local';
  /** Rejects only with LlmError. */
  structured<T>(req: StructuredRequest<T>): Promise<StructuredResponse<T>>;
}
