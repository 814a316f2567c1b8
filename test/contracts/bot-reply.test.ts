import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BotReplyV1, BotReplyV1Schema, type HandoffV1, HandoffV1Schema } from '../../contracts/v1/bot-reply.js';
import type { MessageV1 } from '../../contracts/v1/conversation.js';
import {
  BotReplyV2Schema,
  downgradeBotReply,
  downgradeHandoff,
  HandoffV2Schema,
  upgradeBotReply,
  upgradeHandoff,
} from '../../contracts/v2/bot-reply.js';
import {
  botReplyFromLegacy,
  handoffFromLegacy,
  handoffToLegacy,
  LEGACY_FALLBACK_TEXT,
  legacyRenderLoss,
  renderBotReplyAsLegacy,
  summarize,
} from '../../mappers/bot-reply.js';
import { MappingError } from '../../mappers/mapping-error.js';
import {
  botReplyV1,
  handoffV1,
  legacyExpressibleReply,
  messageV1ForConversation,
} from '../fixtures/legacy/conversations/arbitraries.js';
import { RECORDINGS, recordedJson } from '../fixtures/legacy/conversations/recordings.js';

const viaWire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** A stored customer message to answer (conversation `conv-1`, id ending in a sequence number). */
const userMessage: fc.Arbitrary<MessageV1> = fc
  .tuple(messageV1ForConversation('conv-1'), fc.integer({ min: 1, max: 10_000 }), fc.string({ minLength: 1 }))
  .map(([m, seq, text]) => ({
    ...m,
    id: `conv-1-${seq}`,
    author: { role: 'customer' as const, id: '10001', displayName: 'Anna Schmidt' },
    text: text.trim() === '' ? 'hello' : text,
    quickReplies: [],
  }));

function onlyMappingError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
  }
}

describe('BotReply and Handoff contracts', () => {
  it('arbitrary values are valid v1 documents (the arbitraries match the schemas)', () => {
    fc.assert(
      fc.property(botReplyV1, (r) => BotReplyV1Schema.safeParse(r).success),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(handoffV1, (h) => HandoffV1Schema.safeParse(h).success),
      { numRuns: 300 },
    );
  });

  it('contract → legacy wire → contract is the identity for every reply the legacy wire can carry', () => {
    fc.assert(
      fc.property(legacyExpressibleReply, userMessage, (reply, user) => {
        const wire = viaWire(renderBotReplyAsLegacy(reply, { conversationId: 'conv-1', userMessage: user }));
        const back = botReplyFromLegacy(wire);
        expect(back.value).toEqual(reply);
        expect(back.userMessage.value).toEqual(user);
      }),
      { numRuns: 300 },
    );
  });

  it('for any reply: the wire round trip is the identity exactly when legacyRenderLoss is empty', () => {
    // One lossy feature at a time, so each loss is seen on its own.
    const oneLoss = fc.tuple(legacyExpressibleReply, fc.integer({ min: 0, max: 5 })).map(([r, which]): BotReplyV1 => {
      const q = r.quickReplies[0];
      if (which === 0) return { ...r, intent: 'order_status' };
      if (which === 1) return { ...r, confidence: 0.5 };
      if (which === 2 && q) return { ...r, quickReplies: [{ ...q, payload: 'P' }, ...r.quickReplies.slice(1)] };
      if (which === 3) return { ...r, actions: [{ type: 'lookup', resource: 'order', id: 'A-1001' }] };
      if (which === 4) return { ...r, handoff: { reason: 'human_requested', intent: 'talk_to_human', summary: 's' } };
      return r;
    });
    const anyReply = fc.oneof(
      botReplyV1,
      oneLoss,
      // Replies that look like legacy's fallback, with or without the handoff legacy's form implies.
      fc.tuple(userMessage, fc.boolean()).map(([u, withHandoff]) => ({
        text: LEGACY_FALLBACK_TEXT,
        quickReplies: [],
        actions: [],
        handoff: withHandoff
          ? { reason: 'out_of_scope' as const, intent: 'fallback', summary: summarize(u.text) }
          : null,
      })),
    );
    fc.assert(
      fc.property(anyReply, userMessage, (reply: BotReplyV1, user) => {
        fc.pre(summarize(user.text) !== '');
        const back = botReplyFromLegacy(
          viaWire(renderBotReplyAsLegacy(reply, { conversationId: 'conv-1', userMessage: user })),
        );
        const loss = legacyRenderLoss(reply, { userText: user.text });
        expect(loss.length === 0).toBe(JSON.stringify(back.value) === JSON.stringify(reply));
        expect(back.value.text).toBe(reply.text);
        expect(back.value.quickReplies.map((q) => q.label)).toEqual(reply.quickReplies.map((q) => q.label));
      }),
      { numRuns: 400 },
    );
  });

  it('handoff → legacy body → handoff is the identity', () => {
    fc.assert(
      fc.property(handoffV1, (h) => {
        const back = handoffFromLegacy(viaWire(handoffToLegacy(h)), { conversationId: h.conversationId });
        expect(back.value).toEqual(h);
      }),
      { numRuns: 400 },
    );
  });

  it('legacy → contract never throws anything but MappingError', () => {
    const answers = RECORDINGS.filter((r) => r.status === 201).map(
      (r) => recordedJson(r.file) as Record<string, unknown>,
    );
    const junk = fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined), fc.constant(null));
    const mutatedAnswer = fc
      .record({
        answer: fc.constantFrom(...answers),
        index: fc.constantFrom(0, 1),
        key: fc.constantFrom('id', 'conversation_id', 'received', 'author', 'content', 'extra'),
        sub: fc.constantFrom('type', 'id', 'display_name', 'text', 'actions'),
        deep: fc.boolean(),
        value: junk,
      })
      .map(({ answer, index, key, sub, deep, value }) => {
        const copy = structuredClone(answer) as { messages: Record<string, Record<string, unknown>>[] };
        const message = copy.messages[index] ?? {};
        if (deep && typeof message[key] === 'object' && message[key] !== null) message[key][sub] = value;
        else (message as Record<string, unknown>)[key] = value;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutatedAnswer), (payload) => {
        onlyMappingError(() => botReplyFromLegacy(payload));
      }),
      { numRuns: 500 },
    );
    const mutatedHandoff = fc
      .record({
        h: handoffV1,
        key: fc.constantFrom('intent', 'summary', 'transcript', 'proposed_action', 'reason', 'conversation_id', 'x'),
        value: junk,
        inEntry: fc.boolean(),
      })
      .map(({ h, key, value, inEntry }) => {
        const body = viaWire(handoffToLegacy(h)) as { handoff: Record<string, unknown> };
        const entry = (body.handoff.transcript as Record<string, unknown>[])[0];
        if (inEntry && entry) entry[key === 'intent' ? 'role' : key === 'summary' ? 'at' : 'text'] = value;
        else body.handoff[key] = value;
        return body;
      });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutatedHandoff), (payload) => {
        onlyMappingError(() => handoffFromLegacy(payload, { conversationId: 'conv-1' }));
      }),
      { numRuns: 500 },
    );
  });

  it('every valid v1 document upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(botReplyV1, handoffV1, (r, h) => {
        expect(BotReplyV2Schema.safeParse(upgradeBotReply(r)).success).toBe(true);
        expect(downgradeBotReply(upgradeBotReply(r))).toEqual(r);
        expect(HandoffV2Schema.safeParse(upgradeHandoff(h)).success).toBe(true);
        expect(downgradeHandoff(upgradeHandoff(h))).toEqual(h);
      }),
      { numRuns: 300 },
    );
  });

  it('maps widened reasons onto tool_error for v1 readers and keeps the deprecated alias in step', () => {
    fc.assert(
      fc.property(botReplyV1, handoffV1, fc.constantFrom('budget_exceeded', 'invalid_output'), (r, h, reason) => {
        const v2 = {
          ...upgradeBotReply(r),
          handoff: { reason, intent: 'order_status', summary: 'budget hit' },
          sources: [{ title: 'FAQ', url: 'https://shop.example.com/faq' }],
        };
        expect(BotReplyV2Schema.safeParse(v2).success).toBe(true);
        const v1 = downgradeBotReply(v2);
        expect(v1.handoff?.reason).toBe('tool_error');
        expect(BotReplyV1Schema.safeParse(v1).success).toBe(true);
        expect(
          BotReplyV2Schema.safeParse({ ...v2, quickReplies: [...v2.suggestions, { label: 'extra' }] }).success,
        ).toBe(false);
        const hv1 = downgradeHandoff({ ...upgradeHandoff(h), reason });
        expect(hv1.reason).toBe('tool_error');
        expect(HandoffV1Schema.safeParse(hv1).success).toBe(true);
      }),
      { numRuns: 100 },
    );
    expect(BotReplyV2Schema.shape.quickReplies.description).toBe('deprecated: use suggestions');
    const threat: HandoffV1 = {
      conversationId: 'c',
      reason: 'legal_threat',
      intent: 'refund',
      summary: 's',
      transcript: [],
      proposedAction: null,
    };
    expect(upgradeHandoff(threat).priority).toBe('high');
  });

  it('states the reply rules: standalone text, unique quick replies, bounded confidence', () => {
    const base: BotReplyV1 = { text: 'See https://shop.example.com/faq', quickReplies: [], actions: [], handoff: null };
    const ok = (r: unknown) => BotReplyV1Schema.safeParse(r).success;
    expect(ok(base)).toBe(true);
    expect(ok({ ...base, actions: [{ type: 'link', label: 'FAQ', url: 'https://shop.example.com/faq' }] })).toBe(true);
    expect(ok({ ...base, actions: [{ type: 'link', label: 'FAQ', url: 'https://shop.example.com/other' }] })).toBe(
      false,
    );
    expect(ok({ ...base, actions: [{ type: 'link', label: 'x', url: 'javascript:alert(1)' }] })).toBe(false);
    expect(ok({ ...base, quickReplies: [{ label: 'a' }, { label: 'a' }] })).toBe(false);
    expect(ok({ ...base, confidence: 1.2 })).toBe(false);
    expect(ok({ ...base, text: '   ' })).toBe(false);
    expect(ok({ ...base, intent: 'Order Status' })).toBe(false);
    expect(ok({ ...base, handoff: { reason: 'bored', intent: 'x', summary: 's' } })).toBe(false);
  });
});
