import { z } from 'zod';
import { IsoDateTime } from '../common.js';
import { AuthorRoleV1, IdTokenV1 } from './conversation.js';

/**
 * What an automation answers to a customer message (BotReplyV1), and what it hands to a human agent when it should
 * not answer (HandoffV1). Both are produced by AI intent handlers and by mapping the legacy bot's answer, so shadow
 * runs compare the two on one contract.
 */

/** Machine intent names (`order_status`, `password_reset`, legacy's `fallback`): snake_case, ≤ 64. */
export const IntentNameV1 = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be a snake_case intent name');

/**
 * Why an automation hands a conversation to a person. The first four follow the guardrails in DESIGN §7; the rest
 * are the deterministic escalation signals (they bypass every model).
 */
export const HandoffReasonV1 = z.enum([
  'human_requested',
  'low_confidence',
  'out_of_scope',
  'tool_error',
  'legal_threat',
  'fraud_dispute',
  'repeated_failure',
]);
export type HandoffReasonV1 = z.infer<typeof HandoffReasonV1>;

/** Legacy stores bot texts up to this length; longer answers would be cut by some widgets. */
export const BOT_TEXT_MAX = 4096;
export const SUMMARY_MAX = 4000;

/** Non-blank text; checked, never trimmed (a contract must not change what it validates). */
const nonBlank = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s.trim() !== '', 'must not be blank');
const Label = nonBlank(128);
const HttpUrl = z.url({ protocol: /^https?$/ });

export const QuickReplyV1Schema = z
  .object({
    /** Button text; pressing it sends the label as the customer's next message. */
    label: Label,
    /** Opaque data a rich client posts back instead of the label (legacy clients cannot: see legacyRenderLoss). */
    payload: z.string().min(1).max(1000).optional(),
  })
  .strict();

/**
 * Rich actions for clients that can show more than text. Legacy clients see only the text and quick replies, so the
 * text must stand alone: every link's URL appears in it (checked below).
 */
export const BotActionV1Schema = z.discriminatedUnion('type', [
  /** A button opening a web page. */
  z.object({ type: z.literal('link'), label: Label, url: HttpUrl }).strict(),
  /** A card showing a record the answer is about (e.g. the order whose status was given). */
  z.object({ type: z.literal('lookup'), resource: z.enum(['order', 'ticket', 'customer']), id: IdTokenV1 }).strict(),
  /** A small form collecting structured input (e.g. a new delivery address); submitted as the next message. */
  z
    .object({
      type: z.literal('form'),
      formId: IntentNameV1,
      title: Label,
      fields: z
        .array(
          z
            .object({
              name: z.string().regex(/^[a-z][a-zA-Z0-9]{0,63}$/),
              label: Label,
              kind: z.enum(['text', 'email', 'phone', 'postal_code', 'country', 'order_id']),
              required: z.boolean(),
            })
            .strict(),
        )
        .min(1)
        .max(12),
      submitLabel: Label,
    })
    .strict(),
]);
export type BotActionV1 = z.infer<typeof BotActionV1Schema>;

/** The short form of a handoff inside a reply; the full context package is HandoffV1. */
export const BotHandoffV1Schema = z
  .object({
    reason: HandoffReasonV1,
    intent: IntentNameV1,
    /** For the agent: what the customer wants, in one or two sentences. */
    summary: nonBlank(SUMMARY_MAX),
  })
  .strict();

export const BotReplyV1Schema = z
  .object({
    text: nonBlank(BOT_TEXT_MAX),
    quickReplies: z.array(QuickReplyV1Schema).max(10),
    actions: z.array(BotActionV1Schema).max(10),
    /** Non-null: a person should take over (the text tells the customer so). */
    handoff: BotHandoffV1Schema.nullable(),
    intent: IntentNameV1.optional(),
    /** The automation's calibrated confidence in `intent`, 0..1. */
    confidence: z.number().min(0).max(1).optional(),
  })
  .strict()
  .refine((r) => new Set(r.quickReplies.map((q) => q.label)).size === r.quickReplies.length, {
    message: 'quick reply labels must be unique',
    path: ['quickReplies'],
  })
  .refine((r) => r.actions.every((a) => a.type !== 'link' || r.text.includes(a.url)), {
    message: 'every link URL must appear in the text (legacy clients only see the text)',
    path: ['actions'],
  });

export type BotReplyV1 = z.infer<typeof BotReplyV1Schema>;

/** One transcript line for the agent. `at` is null where legacy sent no time. */
export const TranscriptEntryV1Schema = z
  .object({ role: AuthorRoleV1, text: z.string().max(BOT_TEXT_MAX), at: IsoDateTime.nullable() })
  .strict();

const Address = z
  .object({
    street: z.string().min(1).nullable(),
    city: z.string().min(1).nullable(),
    zipCode: z.string().min(1).nullable(),
    /** ISO 3166-1 alpha-2. */
    countryCode: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .nullable(),
  })
  .strict();

/** What the automation would have done, for the agent to confirm with one click (never executed by the handoff). */
export const ProposedActionV1Schema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('refund'), orderId: IdTokenV1 }).strict(),
  z.object({ type: z.literal('address_change'), customerId: IdTokenV1, address: Address }).strict(),
  /** A drafted answer the agent may send as it is or edit. */
  z.object({ type: z.literal('reply'), text: nonBlank(BOT_TEXT_MAX) }).strict(),
]);
export type ProposedActionV1 = z.infer<typeof ProposedActionV1Schema>;

/** The context package a human agent receives when a conversation is handed off. */
export const HandoffV1Schema = z
  .object({
    conversationId: IdTokenV1,
    reason: HandoffReasonV1,
    intent: IntentNameV1,
    summary: BotHandoffV1Schema.shape.summary,
    /** Oldest first; bounded so an agent desktop can show it (see transcriptFromMessages). */
    transcript: z.array(TranscriptEntryV1Schema).max(200),
    proposedAction: ProposedActionV1Schema.nullable(),
  })
  .strict();

export type HandoffV1 = z.infer<typeof HandoffV1Schema>;
