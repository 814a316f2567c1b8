import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BotReplyV1Schema, HandoffV1Schema } from '../../contracts/v1/bot-reply.js';
import { ConversationV1Schema, MessageV1Schema } from '../../contracts/v1/conversation.js';
import {
  botReplyFromLegacy,
  handoffFromLegacy,
  handoffToLegacy,
  renderBotReplyAsLegacy,
} from '../../mappers/bot-reply.js';
import {
  conversationFromLegacy,
  conversationToLegacy,
  messageFromLegacy,
  messageToLegacy,
} from '../../mappers/conversation.js';
import { edge, HANDOFF_REQUEST, RECORDINGS, recordedJson } from '../fixtures/legacy/conversations/recordings.js';
import { FUZZ_TEST_TIMEOUT, fuzz } from './support/budget.js';
import { hostileJson, mutated } from './support/hostile.js';
import { checkMapping } from './support/mapper-check.js';

/**
 * The conversation wire (message histories, single messages, the bot's answers, handoffs) under hostile input:
 * recorded answers and hand-written edge cases mutated anywhere, and arbitrary JSON. Whatever maps renders back to
 * legacy's exact JSON (the conversation mappers keep legacy's own form of nested objects for that).
 */

const edgeJson = (name: string): unknown => JSON.parse(edge(`${name}.fixture.json`).toString('utf8'));
const history = recordedJson('list-messages.200.fixture.json') as { messages: unknown[] };
const MESSAGES = [
  ...history.messages,
  ...['message-agent', 'message-extra-fields', 'message-nulls', 'message-offset-time'].map(edgeJson),
];
const ANSWERS = [
  ...RECORDINGS.filter((r) => r.status === 201).map((r) => recordedJson(r.file)),
  ...['bot-answer-extra', 'bot-answer-duplicate-replies'].map(edgeJson),
];
const HANDOFFS = [
  HANDOFF_REQUEST,
  recordedJson('handoff-record.200.fixture.json'),
  ...['handoff-minimal', 'handoff-address-extra'].map(edgeJson),
];

const json = (v: unknown) => JSON.stringify(v);
const received = (v: unknown) => (v as { received?: unknown } | null)?.received;

describe('conversation mappers under hostile input', () => {
  it(
    'messageFromLegacy and conversationFromLegacy: contract value or MappingError; what maps renders back',
    () => {
      let mapped = 0;
      const message = fc.oneof(hostileJson, mutated(fc.constantFrom(...MESSAGES)));
      const inputs = fc.oneof(
        message.map((m) => ({ m, list: undefined as unknown })),
        fc.oneof(mutated(fc.constant(history)), hostileJson).map((list) => ({ m: undefined as unknown, list })),
      );
      fuzz(inputs, ({ m, list }) => {
        if (list === undefined) {
          const r = checkMapping('messageFromLegacy', m, (x) => messageFromLegacy(x), MessageV1Schema);
          // Offset timestamps are normalised to Z: only those sent in Z come back as sent.
          if (r.ok && r.result.value.receivedAt === received(m)) {
            mapped++;
            expect(json(messageToLegacy(r.result.value, r.result.carry))).toBe(json(m));
          }
          return;
        }
        const opts = { conversationId: 'conv-golden' };
        const r = checkMapping(
          'conversationFromLegacy',
          list,
          (x) => conversationFromLegacy(x, opts),
          ConversationV1Schema,
        );
        if (!r.ok) return;
        const sent = (list as { messages: unknown[] }).messages;
        if (r.result.value.messages.every((v, i) => v.receivedAt === received(sent[i]))) {
          mapped++;
          expect(json(conversationToLegacy(r.result.value, r.result.carry))).toBe(json(list));
        }
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    "botReplyFromLegacy: contract value or MappingError; legacy's answer renders back from the reply",
    () => {
      let mapped = 0;
      fuzz(fc.oneof(hostileJson, mutated(fc.constantFrom(...ANSWERS))), (input) => {
        const r = checkMapping('botReplyFromLegacy', input, (x) => botReplyFromLegacy(x), BotReplyV1Schema);
        if (!r.ok) return;
        const { value, carry, userMessage, botMessage } = r.result;
        const user = userMessage.value;
        const bot = botMessage.value;
        // The renderer derives the bot's id from the conversation and a number, and names the bot: only answers in
        // that form, with times in Z, can come back byte for byte.
        const seq = /-(\d+)$/.exec(bot.id)?.[1];
        const sent = (input as { messages: unknown[] }).messages;
        if (
          seq === undefined ||
          bot.id !== `${user.conversationId}-${Number(seq)}` ||
          bot.author.displayName === null ||
          user.receivedAt !== received(sent[0]) ||
          bot.receivedAt !== received(sent[1])
        )
          return;
        mapped++;
        const rendered = renderBotReplyAsLegacy(value, {
          conversationId: user.conversationId,
          userMessage: user,
          seq: Number(seq),
          receivedAt: bot.receivedAt,
          botName: bot.author.displayName,
          carry: { body: carry, user: userMessage.carry, bot: botMessage.carry },
        });
        expect(json(rendered)).toBe(json(input));
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'handoffFromLegacy: contract value or MappingError; what maps renders back to the same JSON',
    () => {
      let mapped = 0;
      const inputs = fc.tuple(
        fc.oneof(hostileJson, mutated(fc.constantFrom(...HANDOFFS))),
        fc.constantFrom(undefined, 'conv-golden'),
      );
      fuzz(inputs, ([input, conversationId]) => {
        const opts = conversationId === undefined ? {} : { conversationId };
        const r = checkMapping('handoffFromLegacy', input, (x) => handoffFromLegacy(x, opts), HandoffV1Schema);
        if (!r.ok) return;
        const h = (input as { handoff: { transcript: { at?: unknown }[]; conversation_id?: unknown } }).handoff;
        // Offset timestamps are normalised to Z, as for messages; a null or blank conversation_id is "no value" in the
        // legacy dialect, filled from the request path, and rendered as that id.
        if (!r.result.value.transcript.every((e, i) => e.at === (h.transcript[i]?.at ?? null))) return;
        if (h.conversation_id === null || (typeof h.conversation_id === 'string' && h.conversation_id.trim() === ''))
          return;
        mapped++;
        expect(json(handoffToLegacy(r.result.value, r.result.carry))).toBe(json(input));
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );
});
