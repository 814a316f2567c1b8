import type { BotReplyV1, HandoffReasonV1, ProposedActionV1 } from '../../contracts/v1/bot-reply.js';
import type { CustomerV1 } from '../../contracts/v1/customer.js';
import type { OrderV1 } from '../../contracts/v1/order.js';
import type { KbHit } from '../../src/ai/kb.js';
import type { PromptCatalog } from '../../src/ai/prompts/catalog.js';
import type { Classification, Intent, LlmClient } from '../../src/ai/types.js';

/**
 * Tools an intent handler may be given. Each handler declares its allowlist in code; the runtime builds an object
 * with exactly those tools, bound to the conversation's session. Nothing a customer writes or a model answers can
 * add a tool or change whose data a tool reads: identity comes from the session.
 */
export type ToolName = 'getOrder' | 'getCustomer' | 'updateAddress' | 'searchKnowledgeBase';

export interface Tools {
  /** The order, only if it belongs to the session's customer (otherwise `null`, never another customer's data). */
  getOrder?(orderId: string): Promise<OrderV1 | null>;
  /** The session customer's CRM record. */
  getCustomer?(): Promise<CustomerV1>;
  /** Writes the session customer's address (idempotent by key). Call `ctx.commit()` first. */
  updateAddress?(address: CustomerV1['address'], idempotencyKey: string): Promise<CustomerV1>;
  searchKnowledgeBase?(query: string): KbHit[];
}

/** Who is talking: taken from the conversation (the legacy message's author), never from model output. */
export interface Session {
  conversationId: string;
  /** The customer id as the conversation knows it (legacy message author id). */
  customerId: string;
  /** The CRM customer id, when the session maps to one. */
  crmCustomerId: number | null;
}

/** A confirmation turn waiting for the customer's yes/no (address_change). */
export interface PendingAction {
  intent: Intent;
  /** Stable id: part of the idempotency key of the write it confirms. */
  id: string;
  address: CustomerV1['address'];
  createdAt: number;
}

export interface IntentContext {
  session: Session;
  /** The customer's text as sent. Use only inside the handler (tool arguments); prompts get `redacted`. */
  text: string;
  /** The text with PII replaced by placeholders, and the way back. */
  redacted: { text: string; restore(s: string): string };
  classification: Classification;
  tools: Tools;
  llm: LlmClient;
  prompts: PromptCatalog;
  /** A pending confirmation of this conversation, if any. */
  pending: PendingAction | null;
  setPending(p: PendingAction | null): void;
  /** Shadow runs: tools that write are not given; the handler must not call commit. */
  dryRun: boolean;
  /** Call right before a side effect: after it, no fallback to legacy (the request must not run twice). */
  commit(): void;
  signal: AbortSignal;
  now(): number;
}

/** The answer of an intent handler. */
export type IntentOutcome =
  | { kind: 'reply'; reply: BotReplyV1; prompt?: { id: string; version: string } }
  | {
      kind: 'handoff';
      reason: HandoffReasonV1;
      /** How the pipeline counts it: `low_confidence` when the automation was unsure, else `handoff`. */
      fallback: 'handoff' | 'low_confidence';
      summary: string;
      proposedAction: ProposedActionV1 | null;
    };

export interface IntentSpec {
  intent: Intent;
  /** `intent.<name>`: flags `gw.intent.<name>.serve` / `.shadow`. */
  slice: string;
  deadlineMs: number;
  /** The tools this handler may use. Fixed in code. */
  tools: readonly ToolName[];
  handle(ctx: IntentContext): Promise<IntentOutcome>;
  description: string;
}

export const handoff = (
  reason: HandoffReasonV1,
  summary: string,
  proposedAction: ProposedActionV1 | null = null,
  fallback: 'handoff' | 'low_confidence' = 'handoff',
): IntentOutcome => ({ kind: 'handoff', reason, fallback, summary, proposedAction });

export const reply = (text: string, extra: Partial<BotReplyV1> = {}): IntentOutcome => ({
  kind: 'reply',
  reply: { text, quickReplies: [], actions: [], handoff: null, ...extra },
});

/** Order ids as customers write them (A-1001, a-1001, A 1001). */
export function findOrderId(text: string): string | null {
  const m = /\b([Aa])[-\s]?(\d{4,6})\b/.exec(text);
  return m ? `${(m[1] as string).toUpperCase()}-${m[2]}` : null;
}
