/**
 * Conversations with the legacy bot (Sunshine-Conversations-like): post a customer message and get it back with the
 * bot's canned reply; read the history; hand a conversation off to the agent queue. Any conversation id is accepted
 * and the conversation is created by its first message.
 */

import { readJson } from './body.js';
import { botReply } from './bot.js';
import {
  blank,
  type Ctx,
  type FieldErrors,
  invalidValue,
  isRecord,
  nonEmptyString,
  notFound,
  recordInvalid,
  sendJson,
} from './http-util.js';
import { jsonResponse, runWrite } from './idempotency.js';
import { personName } from './seed-people.js';
import type { ConversationMessage, HandoffRecord } from './state.js';

const MAX_TEXT = 4096;
export const BOT_NAME = 'Legacy Bot';

function validateMessage(value: unknown): { errors: FieldErrors; authorId: string; text: string } {
  const errors: FieldErrors = {};
  const message = isRecord(value) ? value.message : undefined;
  if (!isRecord(message)) return { errors: { message: [blank('Message')] }, authorId: '', text: '' };
  const author = isRecord(message.author) ? message.author : {};
  const content = isRecord(message.content) ? message.content : {};
  if (author.type !== 'user') errors.author = [invalidValue('Author', 'type must be "user"')];
  const authorId = typeof author.id === 'number' ? String(author.id) : author.id;
  if (!nonEmptyString(authorId)) errors.author_id = [blank('Author id')];
  if (content.type !== 'text') errors.content = [invalidValue('Content', 'type must be "text"')];
  if (!nonEmptyString(content.text)) errors.text = [blank('Text')];
  else if (content.text.length > MAX_TEXT)
    errors.text = [invalidValue('Text', `is too long (maximum is ${MAX_TEXT} characters)`)];
  return { errors, authorId: nonEmptyString(authorId) ? authorId : '', text: String(content.text ?? '') };
}

export async function postMessage(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  if (body === null) return;
  const conversationId = ctx.params.id ?? '';
  const { errors, authorId, text } = validateMessage(body.value);
  runWrite(ctx, body.raw, (key) => {
    if (Object.keys(errors).length > 0) return { applied: false, send: () => recordInvalid(ctx, errors) };
    const history = ctx.state.conversations.get(conversationId) ?? [];
    ctx.state.conversations.set(conversationId, history);
    const userMessage: ConversationMessage = {
      id: `${conversationId}-${history.length + 1}`,
      conversation_id: conversationId,
      received: ctx.state.tick(),
      author: { type: 'user', id: authorId, display_name: personName(authorId) ?? 'Customer' },
      content: { type: 'text', text },
    };
    const reply = botReply(text);
    const botMessage: ConversationMessage = {
      id: `${conversationId}-${history.length + 2}`,
      conversation_id: conversationId,
      received: ctx.state.tick(),
      author: { type: 'business', display_name: BOT_NAME },
      content:
        reply.actions.length === 0
          ? { type: 'text', text: reply.text }
          : { type: 'text', text: reply.text, actions: reply.actions.map((a) => ({ type: 'reply', text: a })) },
    };
    history.push(userMessage, botMessage);
    ctx.state.logWrite(`conversation.message:${userMessage.id}`, ctx.method, ctx.path, key);
    return { applied: true, response: jsonResponse(201, { messages: [userMessage, botMessage] }) };
  });
}

export function listMessages(ctx: Ctx): void {
  const history = ctx.state.conversations.get(ctx.params.id ?? '');
  if (history === undefined) notFound(ctx);
  else sendJson(ctx, 200, { messages: history });
}

export async function postHandoff(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  if (body === null) return;
  const input = isRecord(body.value) && isRecord(body.value.handoff) ? body.value.handoff : null;
  const errors: FieldErrors = {};
  if (input === null) errors.handoff = [blank('Handoff')];
  else {
    if (!nonEmptyString(input.intent)) errors.intent = [blank('Intent')];
    if (!nonEmptyString(input.summary)) errors.summary = [blank('Summary')];
    if (!Array.isArray(input.transcript)) errors.transcript = [invalidValue('Transcript', 'must be an array')];
  }
  runWrite(ctx, body.raw, (key) => {
    if (input === null || Object.keys(errors).length > 0)
      return { applied: false, send: () => recordInvalid(ctx, errors) };
    const id = `ho-${ctx.state.nextHandoffId++}`;
    const record: HandoffRecord = {
      id,
      conversation_id: ctx.params.id ?? '',
      status: 'queued',
      queue_position: [...ctx.state.handoffs.values()].filter((h) => h.status === 'queued').length + 1,
      intent: String(input.intent),
      summary: String(input.summary),
      transcript: Array.isArray(input.transcript) ? input.transcript : [],
      proposed_action: input.proposed_action ?? null,
      created_at: ctx.state.tick(),
    };
    ctx.state.handoffs.set(id, record);
    ctx.state.logWrite(`handoff.create:${id}`, ctx.method, ctx.path, key);
    const { id: hid, status, queue_position } = record;
    return { applied: true, response: jsonResponse(202, { handoff: { id: hid, status, queue_position } }) };
  });
}

/** `GET /api/v2/handoffs/{id}`: the whole stored handoff, for the demo and for tests. */
export function showHandoff(ctx: Ctx): void {
  const handoff = ctx.state.handoffs.get(ctx.params.id ?? '');
  if (handoff === undefined) notFound(ctx);
  else sendJson(ctx, 200, { handoff });
}
