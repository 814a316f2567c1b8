import { z } from 'zod';
import {
  BotActionV1Schema,
  BotHandoffV1Schema,
  type BotReplyV1,
  BotReplyV1Schema,
  HandoffReasonV1,
  type HandoffV1,
  HandoffV1Schema,
  QuickReplyV1Schema,
} from '../v1/bot-reply.js';

/**
 * Bot replies and handoffs, version 2. Evolves v1 the way real APIs do (rules in contracts/README.md):
 * - additive: `sources` on replies (the knowledge pages an answer is based on), `priority` on handoffs;
 * - renamed: `quickReplies` → `suggestions`; `quickReplies` stays, deprecated, always equal to `suggestions`;
 * - widened enum: handoff reason gains `budget_exceeded` and `invalid_output`; v1 readers see both as `tool_error`
 *   (the automation's machinery failed, not the customer's request).
 */
export const HandoffReasonV2 = z.enum([...HandoffReasonV1.options, 'budget_exceeded', 'invalid_output']);
export type HandoffReasonV2 = z.infer<typeof HandoffReasonV2>;

export const HandoffPriorityV2 = z.enum(['low', 'normal', 'high']);

export const SourceV2Schema = z
  .object({ title: z.string().min(1).max(200), url: z.url({ protocol: /^https?$/ }) })
  .strict();

export const BotHandoffV2Schema = BotHandoffV1Schema.extend({ reason: HandoffReasonV2 }).strict();

const v1 = BotReplyV1Schema.shape;
const Suggestions = z.array(QuickReplyV1Schema).max(10);

export const BotReplyV2Schema = z
  .object({
    text: v1.text,
    suggestions: Suggestions,
    quickReplies: Suggestions.describe('deprecated: use suggestions'),
    actions: z.array(BotActionV1Schema).max(10),
    handoff: BotHandoffV2Schema.nullable(),
    intent: v1.intent,
    confidence: v1.confidence,
    sources: z.array(SourceV2Schema).max(5),
  })
  .strict()
  .refine((r) => new Set(r.suggestions.map((q) => q.label)).size === r.suggestions.length, {
    message: 'suggestion labels must be unique',
    path: ['suggestions'],
  })
  .refine((r) => sameReplies(r.quickReplies, r.suggestions), {
    message: 'quickReplies (deprecated) must equal suggestions',
    path: ['quickReplies'],
  })
  .refine((r) => r.actions.every((a) => a.type !== 'link' || r.text.includes(a.url)), {
    message: 'every link URL must appear in the text (legacy clients only see the text)',
    path: ['actions'],
  });

export type BotReplyV2 = z.infer<typeof BotReplyV2Schema>;

export const HandoffV2Schema = HandoffV1Schema.extend({
  reason: HandoffReasonV2,
  /** Queue priority for the agent desktop. */
  priority: HandoffPriorityV2,
}).strict();

export type HandoffV2 = z.infer<typeof HandoffV2Schema>;

type QuickReply = z.infer<typeof QuickReplyV1Schema>;

function sameReplies(a: readonly QuickReply[], b: readonly QuickReply[]): boolean {
  return a.length === b.length && a.every((q, i) => q.label === b[i]?.label && q.payload === b[i]?.payload);
}

/** v2-only reasons as v1 readers see them. */
export function reasonToV1(reason: HandoffReasonV2): HandoffReasonV1 {
  return reason === 'budget_exceeded' || reason === 'invalid_output' ? 'tool_error' : reason;
}

const copyReplies = (qs: readonly QuickReply[]): QuickReply[] => qs.map((q) => ({ ...q }));

export function upgradeBotReply(r: BotReplyV1): BotReplyV2 {
  const { quickReplies, ...rest } = r;
  return { ...rest, suggestions: copyReplies(quickReplies), quickReplies: copyReplies(quickReplies), sources: [] };
}

/** Keeps every v1 field; `sources` are v2-only; v2-only handoff reasons become `tool_error`. */
export function downgradeBotReply(r: BotReplyV2): BotReplyV1 {
  const { suggestions, quickReplies: _alias, sources: _sources, handoff, ...rest } = r;
  return {
    ...rest,
    quickReplies: copyReplies(suggestions),
    handoff: handoff === null ? null : { ...handoff, reason: reasonToV1(handoff.reason) },
  };
}

/** Escalation signals that may hurt the business if they wait go first. */
export function priorityOf(reason: HandoffReasonV2): z.infer<typeof HandoffPriorityV2> {
  return reason === 'legal_threat' || reason === 'fraud_dispute' ? 'high' : 'normal';
}

export function upgradeHandoff(h: HandoffV1): HandoffV2 {
  return { ...h, priority: priorityOf(h.reason) };
}

export function downgradeHandoff(h: HandoffV2): HandoffV1 {
  const { priority: _priority, reason, ...rest } = h;
  return { ...rest, reason: reasonToV1(reason) };
}
