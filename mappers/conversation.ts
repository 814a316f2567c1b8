import { IsoDateTime } from '../contracts/common.js';
import {
  type ConversationV1,
  ConversationV1Schema,
  type CustomerMessageV1,
  CustomerMessageV1Schema,
  type MessageV1,
  MessageV1Schema,
} from '../contracts/v1/conversation.js';
import { asObject, checkNesting, emptyToNull, putOwn, quoted, requiredString } from './common.js';
import { type Carry, type Mapped, MappingError } from './mapping-error.js';

/**
 * Conversation/bot legacy (Sunshine-Conversations-like) ↔ contracts. Pure.
 *
 * Byte compatibility: top-level keys follow the ticket mapper (`carry.order` + unmodelled keys in `carry.extra`).
 * Nested legacy objects (`author`, `content`, the POST body's `message`) are rendered canonically; when legacy's own
 * form differs from the canonical one (other key order, explicit nulls, unmodelled keys), it is kept in
 * `carry.raw[<key>]` and sent back verbatim as long as it still maps to the same contract value. When the value
 * changed, the canonical form is sent plus legacy's unmodelled keys of that object (their gaps are reported).
 */

/** A Carry that also keeps legacy's own form of nested objects the canonical rendering would not reproduce. */
export interface LegacyCarry extends Carry {
  raw?: Record<string, unknown>;
}

/** Defines an own property (plain assignment of `__proto__` would change the prototype and lose the field). */
export const put = putOwn;

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Records unmodelled keys of `src` as gaps; returns them, for carry-through. */
export function unknownKeys(
  src: Record<string, unknown>,
  known: ReadonlySet<string>,
  path: string,
  gaps: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (known.has(k)) continue;
    put(out, k, v);
    gaps.push(path === '' ? k : `${path}.${k}`);
  }
  return out;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Legacy's own form `raw` of a nested value while it still maps to `current`; otherwise the canonical form, plus the
 * unmodelled keys of `raw` (those not in `known`) so they are never dropped.
 */
export function legacyForm<T>(
  canonical: unknown,
  raw: unknown,
  remap: (raw: unknown) => T,
  current: T,
  known?: ReadonlySet<string>,
): unknown {
  if (raw === undefined) return canonical;
  try {
    if (sameJson(remap(raw), current)) return raw;
  } catch (e) {
    if (!(e instanceof MappingError)) throw e;
  }
  if (known && isPlain(raw) && isPlain(canonical))
    for (const [k, v] of Object.entries(raw)) if (!known.has(k)) put(canonical, k, v);
  return canonical;
}

/**
 * Legacy keys in legacy's order (`carry.order`): modelled ones from `fields`, unmodelled ones from `carry.extra`.
 * Modelled keys legacy did not send follow in canonical order, unless `omit` says legacy would not send them.
 */
export function inOrder(
  fields: Readonly<Record<string, () => unknown>>,
  canonical: readonly string[],
  carry?: { order: readonly string[]; extra: Record<string, unknown> },
  omit: (key: string) => boolean = () => false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of carry?.order ?? canonical) {
    if (Object.hasOwn(fields, key)) put(out, key, fields[key]?.());
    else if (carry && Object.hasOwn(carry.extra, key)) put(out, key, carry.extra[key]);
  }
  for (const key of canonical) if (!Object.hasOwn(out, key) && !omit(key)) put(out, key, fields[key]?.());
  return out;
}

/** Keeps legacy's own form of a nested object when the canonical rendering would not reproduce its bytes. */
export function keepRaw(into: Record<string, unknown>, key: string, raw: unknown, canonical: unknown): void {
  if (!sameJson(raw, canonical)) put(into, key, raw);
}

const ISO_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?[+-](\d{2}):(\d{2})$/;

/** ISO 8601 with `Z` is kept as sent; an offset is normalised to UTC (`…+01:00` → `…Z`). */
export function isoUtc(v: unknown, path: string): string {
  const s = requiredString(v, path);
  if (IsoDateTime.safeParse(s).success) return s;
  const m = ISO_OFFSET.exec(s);
  if (m !== null) {
    const [y, mo, d, h, mi, se, oh, om] = m.slice(1).map(Number) as [number, ...number[]];
    const day = new Date(Date.UTC(y, (mo ?? 0) - 1, d));
    // Date.parse rolls 2024-02-30 over to March: check the calendar date and the clock fields ourselves.
    const valid =
      day.getUTCFullYear() === y &&
      day.getUTCMonth() === (mo ?? 0) - 1 &&
      day.getUTCDate() === d &&
      [h, mi, se, oh, om].every((n, i) => n !== undefined && n < (i === 0 || i === 3 ? 24 : 60));
    if (valid) return new Date(Date.parse(s)).toISOString().replace('.000Z', 'Z');
  }
  throw new MappingError(`${path} is not an ISO 8601 timestamp`, [`${path}: ${JSON.stringify(s.slice(0, 40))}`]);
}

/** What mappers need of a schema failure (zod's `error`), without depending on zod itself. */
interface SchemaFailure {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

/** zod issues → MappingError issues named by legacy paths. */
export function schemaError(name: string, path: string, error: SchemaFailure, legacyPath: (p: string) => string) {
  return new MappingError(
    `${path || 'body'} does not match ${name}`,
    error.issues.map((i) => `${legacyPath(i.path.map(String).join('.'))}: ${i.message}`),
  );
}

/** Legacy author ids are strings; a number is accepted as legacy itself does (`String(id)`). */
function legacyId(v: unknown, path: string): string | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return emptyToNull(v, path);
}

// ---- messages -------------------------------------------------------------------------------------------------

const MESSAGE_KEYS = ['id', 'conversation_id', 'received', 'author', 'content'];
const MESSAGE_KNOWN = new Set(MESSAGE_KEYS);
const AUTHOR_KNOWN = new Set(['type', 'id', 'display_name']);
const CONTENT_KNOWN = new Set(['type', 'text', 'actions']);
const ACTION_KNOWN = new Set(['type', 'text']);

const MESSAGE_PATHS: Record<string, string> = {
  conversationId: 'conversation_id',
  receivedAt: 'received',
  'author.role': 'author.type',
  'author.displayName': 'author.display_name',
  text: 'content.text',
};

function authorFromLegacy(v: unknown, path: string, gaps: string[]): MessageV1['author'] {
  const a = asObject(v, path);
  unknownKeys(a, AUTHOR_KNOWN, path, gaps);
  if (a.type !== 'user' && a.type !== 'business')
    throw new MappingError(`${path}.type is unknown`, [`${path}.type: ${quoted(a.type)} (known: user, business)`]);
  const id = legacyId(a.id, `${path}.id`);
  const displayName = emptyToNull(a.display_name, `${path}.display_name`);
  // Legacy has one `business` type for the bot and for agents: a person has an id, the bot has none.
  return { role: a.type === 'user' ? 'customer' : id === null ? 'bot' : 'agent', id, displayName };
}

function authorToLegacy(a: MessageV1['author']): Record<string, unknown> {
  const out: Record<string, unknown> = { type: a.role === 'customer' ? 'user' : 'business' };
  if (a.id !== null) out.id = a.id;
  out.display_name = a.displayName ?? '';
  return out;
}

type Content = Pick<MessageV1, 'text' | 'quickReplies'>;

function contentFromLegacy(v: unknown, path: string, gaps: string[]): Content {
  const c = asObject(v, path);
  unknownKeys(c, CONTENT_KNOWN, path, gaps);
  if (c.type !== 'text')
    throw new MappingError(`${path}.type is unknown`, [`${path}.type: ${quoted(c.type)} (known: text)`]);
  if (typeof c.text !== 'string') throw new MappingError(`${path}.text is not a string`);
  const actions: unknown = c.actions ?? [];
  if (!Array.isArray(actions)) throw new MappingError(`${path}.actions is not an array`);
  const quickReplies = actions.map((raw: unknown, i: number) => {
    const at = `${path}.actions[${i}]`;
    const action = asObject(raw, at);
    unknownKeys(action, ACTION_KNOWN, at, gaps);
    if (action.type !== 'reply')
      throw new MappingError(`${at}.type is unknown`, [`${at}.type: ${quoted(action.type)} (known: reply)`]);
    if (typeof action.text !== 'string') throw new MappingError(`${at}.text is not a string`);
    return action.text;
  });
  return { text: c.text, quickReplies };
}

function contentToLegacy(c: Content): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'text', text: c.text };
  if (c.quickReplies.length > 0) out.actions = c.quickReplies.map((text) => ({ type: 'reply', text }));
  return out;
}

/** One legacy message (`{id, conversation_id, received, author, content}`) → MessageV1. Throws MappingError only. */
export function messageFromLegacy(payload: unknown, path = 'message'): Mapped<MessageV1> & { carry: LegacyCarry } {
  const src = asObject(payload, path);
  checkNesting(src, path);
  const gaps: string[] = [];
  const extra = unknownKeys(src, MESSAGE_KNOWN, path, gaps);
  const author = authorFromLegacy(src.author, `${path}.author`, gaps);
  const content = contentFromLegacy(src.content, `${path}.content`, gaps);
  const value: MessageV1 = {
    id: requiredString(src.id, `${path}.id`),
    conversationId: requiredString(src.conversation_id, `${path}.conversation_id`),
    receivedAt: isoUtc(src.received, `${path}.received`),
    author,
    text: content.text,
    quickReplies: content.quickReplies,
  };
  const parsed = MessageV1Schema.safeParse(value);
  if (!parsed.success)
    throw schemaError('MessageV1', path, parsed.error, (p) => {
      const qr = /^quickReplies\.(\d+)/.exec(p);
      return `${path}.${qr ? `content.actions[${qr[1]}].text` : (MESSAGE_PATHS[p] ?? p)}`;
    });
  const raw: Record<string, unknown> = {};
  keepRaw(raw, 'author', src.author, authorToLegacy(author));
  keepRaw(raw, 'content', src.content, contentToLegacy(content));
  return { value, carry: { order: Object.keys(src), extra, gaps, raw } };
}

/** MessageV1 → legacy wire object, in legacy's key order, carried-through fields back in place. */
export function messageToLegacy(m: MessageV1, carry?: LegacyCarry): Record<string, unknown> {
  const raw = carry?.raw ?? {};
  const content = { text: m.text, quickReplies: m.quickReplies };
  const fields = {
    id: () => m.id,
    conversation_id: () => m.conversationId,
    received: () => m.receivedAt,
    author: () =>
      legacyForm(
        authorToLegacy(m.author),
        raw.author,
        (r) => authorFromLegacy(r, 'author', []),
        m.author,
        AUTHOR_KNOWN,
      ),
    content: () =>
      legacyForm(
        contentToLegacy(content),
        raw.content,
        (r) => contentFromLegacy(r, 'content', []),
        content,
        CONTENT_KNOWN,
      ),
  };
  return inOrder(fields, MESSAGE_KEYS, carry);
}

// ---- conversations --------------------------------------------------------------------------------------------

/** Carry of a whole history: the list's own, plus one per message (by index). */
export interface ConversationCarry extends Carry {
  messages: LegacyCarry[];
}

/**
 * `GET /api/v2/conversations/{id}/messages` body → ConversationV1. Legacy's list has no conversation id: it comes
 * from the request path. Every message gap is also listed in `carry.gaps`, for counting.
 */
export function conversationFromLegacy(
  payload: unknown,
  opts: { conversationId: string },
): Mapped<ConversationV1> & { carry: ConversationCarry } {
  const src = asObject(payload, 'body');
  checkNesting(src, 'body');
  const gaps: string[] = [];
  const extra = unknownKeys(src, new Set(['messages']), '', gaps);
  if (!Array.isArray(src.messages)) throw new MappingError('messages is not an array');
  const mapped = src.messages.map((m: unknown, i: number) => messageFromLegacy(m, `messages[${i}]`));
  const value: ConversationV1 = { id: opts.conversationId, messages: mapped.map((m) => m.value) };
  const parsed = ConversationV1Schema.safeParse(value);
  if (!parsed.success) throw schemaError('ConversationV1', '', parsed.error, (p) => (p === 'id' ? 'path id' : p));
  for (const m of mapped) gaps.push(...m.carry.gaps);
  return { value, carry: { order: Object.keys(src), extra, gaps, messages: mapped.map((m) => m.carry) } };
}

export function conversationToLegacy(c: ConversationV1, carry?: ConversationCarry): Record<string, unknown> {
  const messages = () => c.messages.map((m, i) => messageToLegacy(m, carry?.messages[i]));
  return inOrder({ messages }, ['messages'], carry);
}

// ---- what a customer posts --------------------------------------------------------------------------------------

const BODY_KNOWN = new Set(['message']);
const POSTED_KNOWN = new Set(['author', 'content']);
const POSTED_PATHS: Record<string, string> = {
  conversationId: 'conversation id (path)',
  customerId: 'message.author.id',
  text: 'message.content.text',
};

function postedFromLegacy(v: unknown, gaps: string[]): { customerId: string | null; text: string } {
  const message = asObject(v, 'message');
  unknownKeys(message, POSTED_KNOWN, 'message', gaps);
  const author = asObject(message.author, 'message.author');
  unknownKeys(author, new Set(['type', 'id']), 'message.author', gaps);
  const content = asObject(message.content, 'message.content');
  unknownKeys(content, new Set(['type', 'text']), 'message.content', gaps);
  // The same rules legacy answers 422 for: only customers post, only text.
  if (author.type !== 'user') throw new MappingError('message.author.type must be "user"');
  if (content.type !== 'text') throw new MappingError('message.content.type must be "text"');
  if (typeof content.text !== 'string') throw new MappingError('message.content.text is not a string');
  return { customerId: legacyId(author.id, 'message.author.id'), text: content.text };
}

const postedToLegacy = (m: CustomerMessageV1) => ({
  author: { type: 'user', id: m.customerId },
  content: { type: 'text', text: m.text },
});

/**
 * Legacy POST body `{"message":{"author":{"type":"user","id"},"content":{"type":"text","text"}}}` plus the path's
 * conversation id → CustomerMessageV1. Breaking the contract's input rules is a MappingError (legacy itself would
 * answer 422 for most of them; on a new path it means: let legacy answer).
 */
export function customerMessageFromLegacy(
  payload: unknown,
  opts: { conversationId: string },
): Mapped<CustomerMessageV1> & { carry: LegacyCarry } {
  const src = asObject(payload, 'body');
  checkNesting(src, 'body');
  const gaps: string[] = [];
  const extra = unknownKeys(src, BODY_KNOWN, '', gaps);
  const posted = postedFromLegacy(src.message, gaps);
  if (posted.customerId === null) throw new MappingError('message.author.id is missing');
  const value: CustomerMessageV1 = {
    conversationId: opts.conversationId,
    customerId: posted.customerId,
    text: posted.text,
  };
  const parsed = CustomerMessageV1Schema.safeParse(value);
  if (!parsed.success) throw schemaError('CustomerMessageV1', '', parsed.error, (p) => POSTED_PATHS[p] ?? p);
  const raw: Record<string, unknown> = {};
  keepRaw(raw, 'message', src.message, postedToLegacy(value));
  return { value, carry: { order: Object.keys(src), extra, gaps, raw } };
}

/** CustomerMessageV1 → legacy POST body (the conversation id goes into the path). */
export function customerMessageToLegacy(m: CustomerMessageV1, carry?: LegacyCarry): Record<string, unknown> {
  const posted = { customerId: m.customerId, text: m.text };
  const message = () =>
    legacyForm(postedToLegacy(m), carry?.raw?.message, (r) => postedFromLegacy(r, []), posted, POSTED_KNOWN);
  return inOrder({ message }, ['message'], carry);
}

/**
 * The stored message legacy makes of a customer's post (what a new path answers with in place of legacy's echo).
 * Legacy names customers from its user records and says `Customer` when it has none.
 */
export function storedCustomerMessage(
  m: CustomerMessageV1,
  at: { seq: number; receivedAt: string; displayName?: string | null },
): MessageV1 {
  return {
    id: `${m.conversationId}-${at.seq}`,
    conversationId: m.conversationId,
    receivedAt: at.receivedAt,
    author: { role: 'customer', id: m.customerId, displayName: at.displayName ?? 'Customer' },
    text: m.text,
    quickReplies: [],
  };
}
