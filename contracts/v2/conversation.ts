import { z } from 'zod';
import {
  type ConversationV1,
  type CustomerMessageV1,
  CustomerMessageV1Schema,
  IdTokenV1,
  type MessageV1,
  MessageV1Schema,
} from '../v1/conversation.js';

/**
 * Conversations, version 2. Evolves v1 the way real APIs do (rules in contracts/README.md):
 * - additive: `attachments` and `locale` on messages, `locale` on what a customer sends;
 * - renamed: `quickReplies` → `suggestions`; `quickReplies` stays, deprecated, always equal to `suggestions`;
 * - widened enum: author role gains `system` (notices such as "an agent joined"); v1 readers see it as `bot`, the
 *   closest v1 role (a message not written by a person, without an author id).
 */
export const AuthorRoleV2 = z.enum(['customer', 'bot', 'agent', 'system']);

/** BCP 47 language tag in its common form: `de`, `de-DE`, `zh-Hant-TW`, `es-419`. */
export const LocaleV2 = z.string().regex(/^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$/, 'must be a BCP 47 tag');

export const MessageAuthorV2Schema = z
  .object({
    role: AuthorRoleV2,
    id: IdTokenV1.nullable(),
    displayName: z.string().min(1).nullable(),
  })
  .strict()
  .refine(
    (a) => (a.role === 'bot' || a.role === 'system' ? a.id === null : a.role === 'agent' ? a.id !== null : true),
    {
      message: 'bot and system authors have no id; an agent author has one',
      path: ['id'],
    },
  );

export const AttachmentV2Schema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    /** IANA media type, e.g. image/png. */
    mediaType: z.string().regex(/^[a-z]+\/[a-z0-9.+-]+$/),
    name: z.string().min(1).max(255).nullable(),
    sizeBytes: z.number().int().nonnegative().nullable(),
  })
  .strict();

const Suggestions = MessageV1Schema.shape.quickReplies;

export const MessageV2Schema = MessageV1Schema.omit({ author: true, quickReplies: true })
  .extend({
    author: MessageAuthorV2Schema,
    suggestions: Suggestions,
    quickReplies: Suggestions.describe('deprecated: use suggestions'),
    attachments: z.array(AttachmentV2Schema).max(20),
    /** Language of `text`, when known. */
    locale: LocaleV2.nullable(),
  })
  .strict()
  .refine((m) => sameStrings(m.quickReplies, m.suggestions), {
    message: 'quickReplies (deprecated) must equal suggestions',
    path: ['quickReplies'],
  });

export type MessageV2 = z.infer<typeof MessageV2Schema>;

export const ConversationV2Schema = z
  .object({ id: IdTokenV1, messages: z.array(MessageV2Schema) })
  .strict()
  .refine((c) => c.messages.every((m) => m.conversationId === c.id), {
    message: 'every message belongs to this conversation',
    path: ['messages'],
  });

export type ConversationV2 = z.infer<typeof ConversationV2Schema>;

export const CustomerMessageV2Schema = CustomerMessageV1Schema.extend({
  /** The customer's language if the client knows it (helps the classifier and the agent). */
  locale: LocaleV2.nullable(),
}).strict();

export type CustomerMessageV2 = z.infer<typeof CustomerMessageV2Schema>;

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export function upgradeMessage(m: MessageV1): MessageV2 {
  return { ...m, suggestions: [...m.quickReplies], quickReplies: [...m.quickReplies], attachments: [], locale: null };
}

/** Keeps every v1 field; `system` authors are shown to v1 readers as `bot`; attachments and locale are v2-only. */
export function downgradeMessage(m: MessageV2): MessageV1 {
  const { author } = m;
  return {
    id: m.id,
    conversationId: m.conversationId,
    receivedAt: m.receivedAt,
    author: { role: author.role === 'system' ? 'bot' : author.role, id: author.id, displayName: author.displayName },
    text: m.text,
    quickReplies: [...m.suggestions],
  };
}

export function upgradeConversation(c: ConversationV1): ConversationV2 {
  return { id: c.id, messages: c.messages.map(upgradeMessage) };
}

export function downgradeConversation(c: ConversationV2): ConversationV1 {
  return { id: c.id, messages: c.messages.map(downgradeMessage) };
}

export function upgradeCustomerMessage(m: CustomerMessageV1): CustomerMessageV2 {
  return { ...m, locale: null };
}

export function downgradeCustomerMessage(m: CustomerMessageV2): CustomerMessageV1 {
  const { locale: _locale, ...v1 } = m;
  return v1;
}
