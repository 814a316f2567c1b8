import { z } from 'zod';
import { IsoDateTime } from '../common.js';

/**
 * Conversations between a customer and the bot or an agent, version 1. Legacy (Sunshine-Conversations-like) names
 * authors `user`/`business`; the contract says who they are: `customer`, `bot` or `agent`.
 */

/** Opaque legacy ids (conversation `conv-1`, message `conv-1-2`, customer `10001`): one URL-safe token. */
export const IdTokenV1 = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/, 'must be one token of letters, digits and ._:@- (≤ 128)');

export const AuthorRoleV1 = z.enum(['customer', 'bot', 'agent']);
export type AuthorRoleV1 = z.infer<typeof AuthorRoleV1>;

/**
 * Who wrote a message. A bot has no id (legacy sends none for it); an agent always has one, which is how legacy's
 * `business` author is told apart: with an id it is a person, without one the bot.
 */
export const MessageAuthorV1Schema = z
  .object({
    role: AuthorRoleV1,
    id: IdTokenV1.nullable(),
    /** Name shown to the other side; null when legacy sent none. */
    displayName: z.string().min(1).nullable(),
  })
  .strict()
  .refine((a) => (a.role === 'bot' ? a.id === null : a.role === 'agent' ? a.id !== null : true), {
    message: 'a bot author has no id; an agent author has one',
    path: ['id'],
  });

/** One stored message of a conversation (a customer's, the bot's or an agent's). */
export const MessageV1Schema = z
  .object({
    id: IdTokenV1,
    conversationId: IdTokenV1,
    receivedAt: IsoDateTime,
    author: MessageAuthorV1Schema,
    /** As stored by legacy; no length limit here (history is what it is), see CustomerMessageV1 for input rules. */
    text: z.string(),
    /** Reply buttons offered with the message, in order; empty when none. */
    quickReplies: z.array(z.string().min(1)),
  })
  .strict();

export type MessageV1 = z.infer<typeof MessageV1Schema>;

/** A conversation's history, oldest message first. */
export const ConversationV1Schema = z
  .object({
    id: IdTokenV1,
    messages: z.array(MessageV1Schema),
  })
  .strict()
  .refine((c) => c.messages.every((m) => m.conversationId === c.id), {
    message: 'every message belongs to this conversation',
    path: ['messages'],
  });

export type ConversationV1 = z.infer<typeof ConversationV1Schema>;

/**
 * Upper bound for what a customer may send, in UTF-16 code units (JavaScript `length`). Legacy rejects more than
 * 4096, so anything the contract accepts, legacy accepts too; the margin leaves room for a client's own prefixes.
 */
export const CUSTOMER_TEXT_MAX = 4000;

/** C0 controls other than tab, LF and CR, and DEL: invisible, and some chat backends reject them. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}
// Lone surrogates cannot be encoded as UTF-8: legacy would store U+FFFD instead of what the customer typed.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const CustomerTextV1 = z
  .string()
  .min(1, 'must not be blank')
  .max(CUSTOMER_TEXT_MAX, `must be at most ${CUSTOMER_TEXT_MAX} characters`)
  .refine((s) => s.trim() !== '', 'must not be blank')
  .refine((s) => !hasControl(s), 'must not contain control characters (tab, CR and LF are allowed)')
  .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no lone surrogates)');

/**
 * What a client posts to a conversation (the request of `POST …/conversations/{id}/messages`). Identity: the
 * customer id comes from the session or the legacy body, never from model output.
 */
export const CustomerMessageV1Schema = z
  .object({
    conversationId: IdTokenV1,
    customerId: IdTokenV1,
    /** Kept exactly as typed (no trimming), so legacy stores the same text. */
    text: CustomerTextV1,
  })
  .strict();

export type CustomerMessageV1 = z.infer<typeof CustomerMessageV1Schema>;
