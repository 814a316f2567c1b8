import {
  BOT_TEXT_MAX,
  type BotReplyV1,
  BotReplyV1Schema,
  HandoffReasonV1 as HandoffReasons,
  type HandoffReasonV1,
  type HandoffV1,
  HandoffV1Schema,
  type ProposedActionV1,
} from '../contracts/v1/bot-reply.js';
import type { MessageV1 } from '../contracts/v1/conversation.js';
import { asObject, checkNesting, emptyToNull, quoted, requiredString } from './common.js';
import {
  inOrder,
  isoUtc,
  keepRaw,
  type LegacyCarry,
  legacyForm,
  messageFromLegacy,
  messageToLegacy,
  sameJson,
  schemaError,
  unknownKeys,
} from './conversation.js';
import { type Carry, type Mapped, MappingError } from './mapping-error.js';

/**
 * Bot replies and handoffs ↔ the legacy conversation wire. Pure.
 * - `renderBotReplyAsLegacy`: an automation's BotReplyV1 as legacy's `201 {"messages":[<customer>,<bot>]}`, shaped
 *   exactly like the legacy bot's answer, so a client cannot tell the two apart by shape.
 * - `botReplyFromLegacy`: legacy's answer → BotReplyV1, so shadow runs compare both on the contract.
 * - `handoffToLegacy` / `handoffFromLegacy`: the body of `POST /api/v2/conversations/{id}/handoff`.
 */

/** Legacy bot facts the wire depends on (legacy-adapters/simulator/bot.ts and conversations.ts). */
export const LEGACY_BOT_NAME = 'Legacy Bot';
export const LEGACY_FALLBACK_TEXT = 'Thanks for your message. An agent will be with you shortly.';
/** Legacy's own name for "no rule matched"; its answer promises an agent, so it maps onto a handoff. */
export const LEGACY_FALLBACK_INTENT = 'fallback';
const SUMMARY_CHARS = 500;

export interface LegacyBotOptions {
  botName?: string;
  fallbackText?: string;
}

/** Whitespace collapsed, at most 500 code points (never cutting a surrogate pair). */
export function summarize(text: string): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim());
  return chars.length <= SUMMARY_CHARS ? chars.join('') : `${chars.slice(0, SUMMARY_CHARS - 1).join('')}…`;
}

function fallbackHandoff(userText: string): NonNullable<BotReplyV1['handoff']> {
  return { reason: 'out_of_scope', intent: LEGACY_FALLBACK_INTENT, summary: summarize(userText) };
}

/** What legacy's bot message says, as a reply: quick replies keep their labels, the fallback is a handoff. */
function replyOf(bot: MessageV1, userText: string, fallbackText: string): BotReplyV1 {
  const isFallback = bot.text === fallbackText && bot.quickReplies.length === 0;
  return {
    text: bot.text,
    quickReplies: bot.quickReplies.map((label) => ({ label })),
    actions: [],
    handoff: isFallback ? fallbackHandoff(userText) : null,
  };
}

export interface LegacyBotAnswer extends Mapped<BotReplyV1> {
  /** The stored customer message legacy echoes first, and legacy's bot message, as contracts with their carries. */
  userMessage: Mapped<MessageV1> & { carry: LegacyCarry };
  botMessage: Mapped<MessageV1> & { carry: LegacyCarry };
}

/** Legacy `201 {"messages":[<customer>,<bot>]}` → BotReplyV1 (+ both messages). Throws MappingError only. */
export function botReplyFromLegacy(payload: unknown, opts: LegacyBotOptions = {}): LegacyBotAnswer {
  const src = asObject(payload, 'body');
  checkNesting(src, 'body');
  const gaps: string[] = [];
  const extra = unknownKeys(src, new Set(['messages']), '', gaps);
  if (!Array.isArray(src.messages) || src.messages.length !== 2)
    throw new MappingError('messages must hold the customer message and the bot reply');
  const user = messageFromLegacy(src.messages[0], 'messages[0]');
  const bot = messageFromLegacy(src.messages[1], 'messages[1]');
  if (user.value.author.role !== 'customer') throw new MappingError('messages[0] is not from the customer');
  if (bot.value.author.role !== 'bot') throw new MappingError('messages[1] is not from the bot');
  if (bot.value.conversationId !== user.value.conversationId)
    throw new MappingError('messages[1].conversation_id differs from messages[0]');
  gaps.push(...user.carry.gaps, ...bot.carry.gaps);
  const value = replyOf(bot.value, user.value.text, opts.fallbackText ?? LEGACY_FALLBACK_TEXT);
  const parsed = BotReplyV1Schema.safeParse(value);
  if (!parsed.success)
    throw schemaError('BotReplyV1', 'messages[1]', parsed.error, (p) =>
      p.startsWith('handoff') ? 'messages[0].content.text' : `messages[1].content.${p}`,
    );
  return { value, carry: { order: Object.keys(src), extra, gaps }, userMessage: user, botMessage: bot };
}

export interface RenderContext {
  conversationId: string;
  /** The customer message being answered, as legacy stores it (see storedCustomerMessage). */
  userMessage: MessageV1;
  /** The bot message's sequence number; default: the customer message's + 1, as legacy numbers them. */
  seq?: number;
  /** The bot message's time; default: one second after the customer message (legacy's clock ticks per message). */
  receivedAt?: string;
  botName?: string;
  /** Carries from botReplyFromLegacy, to render legacy's own answer back byte for byte. */
  carry?: { body?: Carry; user?: LegacyCarry; bot?: LegacyCarry };
}

function botSeq(ctx: RenderContext): number {
  if (ctx.seq !== undefined) return ctx.seq;
  const m = /-(\d+)$/.exec(ctx.userMessage.id);
  if (!m) throw new MappingError(`cannot derive the bot message's seq from ${JSON.stringify(ctx.userMessage.id)}`);
  return Number(m[1]) + 1;
}

function nextSecond(iso: string): string {
  return new Date(Date.parse(iso) + 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * BotReplyV1 → legacy's answer `{"messages":[<customer message>, <bot message>]}`, exactly as the legacy bot renders
 * it: `business` author without id named "Legacy Bot", text, quick replies as `reply` actions (omitted when none).
 * Whatever the legacy wire cannot carry is listed by legacyRenderLoss.
 */
export function renderBotReplyAsLegacy(reply: BotReplyV1, ctx: RenderContext): Record<string, unknown> {
  const bot: MessageV1 = {
    id: `${ctx.conversationId}-${botSeq(ctx)}`,
    conversationId: ctx.conversationId,
    receivedAt: ctx.receivedAt ?? nextSecond(ctx.userMessage.receivedAt),
    author: { role: 'bot', id: null, displayName: ctx.botName ?? LEGACY_BOT_NAME },
    text: reply.text,
    quickReplies: reply.quickReplies.map((q) => q.label),
  };
  const messages = () => [messageToLegacy(ctx.userMessage, ctx.carry?.user), messageToLegacy(bot, ctx.carry?.bot)];
  return inOrder({ messages }, ['messages'], ctx.carry?.body);
}

/** The response body bytes legacy would send (compact JSON, as legacy serialises it). */
export function renderBotReplyResponse(reply: BotReplyV1, ctx: RenderContext): string {
  return JSON.stringify(renderBotReplyAsLegacy(reply, ctx));
}

/**
 * Contract paths of `reply` the legacy wire cannot carry (for mapping-gap metrics and diffs). Empty exactly when
 * botReplyFromLegacy(renderBotReplyAsLegacy(reply)) gives `reply` back.
 */
export function legacyRenderLoss(reply: BotReplyV1, ctx: { userText: string; fallbackText?: string }): string[] {
  const loss: string[] = [];
  if (reply.intent !== undefined) loss.push('intent');
  if (reply.confidence !== undefined) loss.push('confidence');
  reply.quickReplies.forEach((q, i) => {
    if (q.payload !== undefined) loss.push(`quickReplies[${i}].payload`);
  });
  reply.actions.forEach((a, i) => {
    loss.push(`actions[${i}] (${a.type})`);
  });
  const isFallback = reply.text === (ctx.fallbackText ?? LEGACY_FALLBACK_TEXT) && reply.quickReplies.length === 0;
  const seen = isFallback ? fallbackHandoff(ctx.userText) : null;
  if (!sameJson(reply.handoff, seen)) loss.push('handoff');
  return loss;
}

// ---- handoffs -------------------------------------------------------------------------------------------------

/** Bounded transcript for the agent: the last `maxEntries` messages, each text cut to what legacy stores. */
export function transcriptFromMessages(messages: readonly MessageV1[], maxEntries = 50): HandoffV1['transcript'] {
  return messages.slice(-maxEntries).map((m) => ({ role: m.author.role, text: cut(m.text), at: m.receivedAt }));
}

function cut(text: string): string {
  if (text.length <= BOT_TEXT_MAX) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(BOT_TEXT_MAX - 2)) ? BOT_TEXT_MAX - 2 : BOT_TEXT_MAX - 1;
  return `${text.slice(0, end)}…`;
}

/** The context package for the agent, from a reply's handoff and the conversation so far. */
export function buildHandoff(input: {
  conversationId: string;
  handoff: NonNullable<BotReplyV1['handoff']>;
  messages: readonly MessageV1[];
  proposedAction?: ProposedActionV1 | null;
}): HandoffV1 {
  return {
    conversationId: input.conversationId,
    reason: input.handoff.reason,
    intent: input.handoff.intent,
    summary: input.handoff.summary,
    transcript: transcriptFromMessages(input.messages),
    proposedAction: input.proposedAction ?? null,
  };
}

const ROLE_TO_WIRE = { customer: 'user', bot: 'bot', agent: 'agent' } as const;
const WIRE_TO_ROLE: Readonly<Record<string, HandoffV1['transcript'][number]['role']>> = {
  user: 'customer',
  bot: 'bot',
  agent: 'agent',
};
const HANDOFF_KEYS = ['intent', 'summary', 'transcript', 'proposed_action', 'reason'];
const HANDOFF_KNOWN = new Set([...HANDOFF_KEYS, 'conversation_id']);

function transcriptFromLegacy(v: unknown, path: string, gaps: string[]): HandoffV1['transcript'] {
  if (!Array.isArray(v)) throw new MappingError(`${path} is not an array`);
  return v.map((raw: unknown, i: number) => {
    const at = `${path}[${i}]`;
    const e = asObject(raw, at);
    unknownKeys(e, new Set(['role', 'text', 'at']), at, gaps);
    const role = typeof e.role === 'string' && Object.hasOwn(WIRE_TO_ROLE, e.role) ? WIRE_TO_ROLE[e.role] : undefined;
    if (role === undefined)
      throw new MappingError(`${at}.role is unknown`, [`${at}.role: ${quoted(e.role)} (known: user, bot, agent)`]);
    if (typeof e.text !== 'string') throw new MappingError(`${at}.text is not a string`);
    return { role, text: e.text, at: e.at === undefined || e.at === null ? null : isoUtc(e.at, `${at}.at`) };
  });
}

const transcriptToLegacy = (t: HandoffV1['transcript']) =>
  t.map((e) => (e.at === null ? { role: ROLE_TO_WIRE[e.role], text: e.text } : { ...e, role: ROLE_TO_WIRE[e.role] }));

function actionFromLegacy(v: unknown, path: string, gaps: string[]): ProposedActionV1 | null {
  if (v === undefined || v === null) return null;
  const a = asObject(v, path);
  const str = (k: string) => requiredString(a[k], `${path}.${k}`);
  if (a.type === 'refund') {
    unknownKeys(a, new Set(['type', 'order_id']), path, gaps);
    return { type: 'refund', orderId: str('order_id') };
  }
  if (a.type === 'reply') {
    unknownKeys(a, new Set(['type', 'text']), path, gaps);
    return { type: 'reply', text: str('text') };
  }
  if (a.type === 'address_change') {
    unknownKeys(a, new Set(['type', 'customer_id', 'address']), path, gaps);
    const ad = asObject(a.address, `${path}.address`);
    unknownKeys(ad, new Set(['street', 'city', 'zip_code', 'country_code']), `${path}.address`, gaps);
    const s = (k: string) => emptyToNull(ad[k], `${path}.address.${k}`);
    const address = { street: s('street'), city: s('city'), zipCode: s('zip_code'), countryCode: s('country_code') };
    return { type: 'address_change', customerId: str('customer_id'), address };
  }
  throw new MappingError(`${path}.type is unknown`, [
    `${path}.type: ${quoted(a.type)} (known: refund, address_change, reply)`,
  ]);
}

function actionToLegacy(a: ProposedActionV1 | null): unknown {
  if (a === null) return null;
  if (a.type === 'refund') return { type: a.type, order_id: a.orderId };
  if (a.type === 'reply') return { type: a.type, text: a.text };
  const { street, city, zipCode, countryCode } = a.address;
  return {
    type: a.type,
    customer_id: a.customerId,
    address: { street, city, zip_code: zipCode, country_code: countryCode },
  };
}

/** Carry of a handoff body: `order`/`extra`/`raw` describe the inner `handoff` object, `body` the outer one. */
export interface HandoffCarry extends LegacyCarry {
  body: { order: string[]; extra: Record<string, unknown> };
  /** Set when legacy sent no reason and the default was used; the reason is then not invented on the wire. */
  defaultedReason: HandoffReasonV1 | null;
}

/**
 * `{"handoff":{intent, summary, transcript, proposed_action?, reason?}}` (the POST body, or legacy's stored record
 * with its conversation_id) → HandoffV1. Legacy clients send no reason: they hand off when the customer presses
 * "Talk to an agent", hence the default `human_requested`. Throws MappingError only.
 */
export function handoffFromLegacy(
  payload: unknown,
  opts: { conversationId?: string; defaultReason?: HandoffReasonV1 } = {},
): Mapped<HandoffV1> & { carry: HandoffCarry } {
  const body = asObject(payload, 'body');
  checkNesting(body, 'body');
  const gaps: string[] = [];
  const bodyExtra = unknownKeys(body, new Set(['handoff']), '', gaps);
  const h = asObject(body.handoff, 'handoff');
  const extra = unknownKeys(h, HANDOFF_KNOWN, 'handoff', gaps);
  const conversationId = emptyToNull(h.conversation_id, 'handoff.conversation_id') ?? opts.conversationId;
  if (conversationId === undefined) throw new MappingError('handoff has no conversation id');
  const defaulted = h.reason === undefined ? (opts.defaultReason ?? 'human_requested') : null;
  const reason = HandoffReasons.safeParse(defaulted ?? h.reason);
  if (!reason.success) throw new MappingError('handoff.reason is unknown', [`handoff.reason: ${quoted(h.reason)}`]);
  const value: HandoffV1 = {
    conversationId,
    reason: reason.data,
    intent: requiredString(h.intent, 'handoff.intent'),
    summary: requiredString(h.summary, 'handoff.summary'),
    transcript: transcriptFromLegacy(h.transcript, 'handoff.transcript', gaps),
    proposedAction: actionFromLegacy(h.proposed_action, 'handoff.proposed_action', gaps),
  };
  const parsed = HandoffV1Schema.safeParse(value);
  if (!parsed.success)
    throw schemaError(
      'HandoffV1',
      'handoff',
      parsed.error,
      (p) => `handoff.${p.replace('proposedAction', 'proposed_action').replace('conversationId', 'conversation_id')}`,
    );
  const raw: Record<string, unknown> = {};
  keepRaw(raw, 'transcript', h.transcript, transcriptToLegacy(value.transcript));
  if (h.proposed_action !== undefined)
    keepRaw(raw, 'proposed_action', h.proposed_action, actionToLegacy(value.proposedAction));
  const carry = {
    order: Object.keys(h),
    extra,
    gaps,
    raw,
    body: { order: Object.keys(body), extra: bodyExtra },
    defaultedReason: defaulted,
  };
  return { value, carry };
}

/** HandoffV1 → legacy POST body (the conversation id goes into the path). */
export function handoffToLegacy(h: HandoffV1, carry?: HandoffCarry): Record<string, unknown> {
  const raw = carry?.raw ?? {};
  const fields = {
    conversation_id: () => h.conversationId,
    intent: () => h.intent,
    summary: () => h.summary,
    transcript: () =>
      legacyForm(
        transcriptToLegacy(h.transcript),
        raw.transcript,
        (r) => transcriptFromLegacy(r, 't', []),
        h.transcript,
      ),
    proposed_action: () =>
      legacyForm(
        actionToLegacy(h.proposedAction),
        raw.proposed_action,
        (r) => actionFromLegacy(r, 'a', []),
        h.proposedAction,
      ),
    reason: () => h.reason,
  };
  // What legacy's own body left out stays out: a defaulted reason, an absent proposed action.
  const omit = (key: string) =>
    carry !== undefined &&
    ((key === 'reason' && carry.defaultedReason === h.reason) ||
      (key === 'proposed_action' && h.proposedAction === null));
  const handoff = () => inOrder(fields, HANDOFF_KEYS, carry, omit);
  return inOrder({ handoff }, ['handoff'], carry?.body);
}
