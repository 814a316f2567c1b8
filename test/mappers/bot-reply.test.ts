import { describe, expect, it } from 'vitest';
import { type BotReplyV1, BotReplyV1Schema, HandoffV1Schema } from '../../contracts/v1/bot-reply.js';
import type { MessageV1 } from '../../contracts/v1/conversation.js';
import { FALLBACK_TEXT } from '../../legacy-adapters/simulator/bot.js';
import {
  botReplyFromLegacy,
  buildHandoff,
  handoffFromLegacy,
  handoffToLegacy,
  LEGACY_FALLBACK_TEXT,
  legacyRenderLoss,
  renderBotReplyAsLegacy,
  renderBotReplyResponse,
  transcriptFromMessages,
} from '../../mappers/bot-reply.js';
import { customerMessageFromLegacy, storedCustomerMessage } from '../../mappers/conversation.js';
import { MappingError } from '../../mappers/mapping-error.js';
import {
  edge,
  HANDOFF_REQUEST,
  RECORDINGS,
  recorded,
  recordedJson,
} from '../fixtures/legacy/conversations/recordings.js';

const edgeJson = (file: string): unknown => JSON.parse(edge(`${file}.fixture.json`).toString('utf8'));
const ANSWERS = RECORDINGS.filter((r) => r.status === 201);

/** Structure of a JSON value: keys in order and value types, nothing else. */
function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (typeof v === 'object' && v !== null) return Object.entries(v).map(([k, x]) => [k, shapeOf(x)]);
  return typeof v;
}

describe('legacy bot answer ↔ BotReplyV1', () => {
  it('maps every recorded bot answer onto BotReplyV1, the fallback as a handoff', () => {
    for (const r of ANSWERS) {
      const answer = botReplyFromLegacy(recordedJson(r.file));
      expect(BotReplyV1Schema.parse(answer.value)).toEqual(answer.value);
      expect(answer.carry.gaps).toEqual([]);
      expect(answer.value.actions).toEqual([]);
    }
    const order = botReplyFromLegacy(recordedJson('post-message-order.201.fixture.json')).value;
    expect(order.quickReplies).toEqual([{ label: 'Track my order' }, { label: 'Talk to an agent' }]);
    expect(order.handoff).toBeNull();
    const fallback = botReplyFromLegacy(recordedJson('post-message-fallback.201.fixture.json')).value;
    expect(LEGACY_FALLBACK_TEXT).toBe(FALLBACK_TEXT);
    expect(fallback).toEqual({
      text: FALLBACK_TEXT,
      quickReplies: [],
      actions: [],
      handoff: { reason: 'out_of_scope', intent: 'fallback', summary: 'My cat likes your hoodie 😀' },
    });
  });

  it('renders a reply for a customer post byte-identical to the legacy bot answer for the same post', () => {
    for (const r of ANSWERS) {
      const raw = recorded(r.file);
      const conversationId = r.path.split('/')[4] ?? '';
      const posted = customerMessageFromLegacy(r.body, { conversationId }).value;
      const answer = botReplyFromLegacy(JSON.parse(raw));
      const echo = answer.userMessage.value;
      const userMessage = storedCustomerMessage(posted, {
        seq: Number(echo.id.split('-').pop()),
        receivedAt: echo.receivedAt,
        displayName: echo.author.displayName,
      });
      // Default seq and time: the next number and one second later, as legacy's clock ticks.
      expect(renderBotReplyResponse(answer.value, { conversationId, userMessage })).toBe(raw);
    }
  });

  it('renders an AI reply in exactly the legacy bot shape and lists what the legacy wire cannot carry', () => {
    const legacy = recordedJson('post-message-order.201.fixture.json');
    const userMessage = botReplyFromLegacy(legacy).userMessage.value;
    const reply: BotReplyV1 = {
      text: 'Order A-1001 shipped yesterday; track it at https://shop.example.com/orders/A-1001.',
      quickReplies: [{ label: 'Where is it now?', payload: 'TRACK:A-1001' }, { label: 'Talk to an agent' }],
      actions: [
        { type: 'link', label: 'Track', url: 'https://shop.example.com/orders/A-1001' },
        { type: 'lookup', resource: 'order', id: 'A-1001' },
      ],
      handoff: null,
      intent: 'order_status',
      confidence: 0.93,
    };
    expect(BotReplyV1Schema.parse(reply)).toEqual(reply);
    const ctx = { conversationId: 'conv-golden', userMessage };
    const wire = renderBotReplyAsLegacy(reply, ctx);
    expect(shapeOf(wire)).toEqual(shapeOf(legacy));
    expect(wire).toMatchObject({
      messages: [
        { id: 'conv-golden-1' },
        {
          id: 'conv-golden-2',
          received: '2024-03-01T09:00:02Z',
          author: { type: 'business', display_name: 'Legacy Bot' },
        },
      ],
    });
    expect(legacyRenderLoss(reply, { userText: userMessage.text })).toEqual([
      'intent',
      'confidence',
      'quickReplies[0].payload',
      'actions[0] (link)',
      'actions[1] (lookup)',
    ]);
    // A reply without quick replies has no `actions` key at all, like legacy's fallback.
    const bare = renderBotReplyAsLegacy({ ...reply, quickReplies: [], actions: [] }, ctx);
    expect(shapeOf(bare)).toEqual(shapeOf(recordedJson('post-message-fallback.201.fixture.json')));
  });

  it('keeps unknown top-level keys of a legacy answer and rejects answers that are not a bot reply', () => {
    const extra = botReplyFromLegacy(edgeJson('bot-answer-extra'));
    expect(extra.carry.gaps).toEqual(['meta']);
    const ctx = {
      conversationId: 'conv-7',
      userMessage: extra.userMessage.value,
      carry: { body: extra.carry, user: extra.userMessage.carry, bot: extra.botMessage.carry },
    };
    expect(renderBotReplyResponse(extra.value, ctx)).toBe(edge('bot-answer-extra.fixture.json').toString());
    const cases: [string, string][] = [
      ['bot-answer-from-agent', 'messages[1] is not from the bot'],
      ['bot-answer-one-message', 'messages must hold'],
      ['bot-answer-duplicate-replies', 'quick reply labels must be unique'],
    ];
    for (const [file, text] of cases) {
      expect(() => botReplyFromLegacy(edgeJson(file))).toThrow(MappingError);
      expect(() => botReplyFromLegacy(edgeJson(file))).toThrow(text);
    }
  });
});

describe('handoff ↔ legacy handoff body', () => {
  it('maps the recorded handoff request and the stored record, and renders the request bytes back', () => {
    const { value, carry } = handoffFromLegacy(HANDOFF_REQUEST, { conversationId: 'conv-golden' });
    expect(HandoffV1Schema.parse(value)).toEqual(value);
    expect(value).toMatchObject({ reason: 'low_confidence', proposedAction: { type: 'refund', orderId: 'A-1001' } });
    expect(value.transcript[0]).toEqual({ role: 'customer', text: 'I want a refund', at: '2024-03-01T09:00:05Z' });
    expect(JSON.stringify(handoffToLegacy(value, carry))).toBe(JSON.stringify(HANDOFF_REQUEST));
    expect(JSON.stringify(handoffToLegacy(value))).toBe(JSON.stringify(HANDOFF_REQUEST));
    // Legacy stores no reason: the record maps with the default, and its own fields are gaps.
    const raw = recorded('handoff-record.200.fixture.json');
    const stored = handoffFromLegacy(JSON.parse(raw));
    expect(stored.value).toEqual({ ...value, reason: 'human_requested' });
    expect(stored.carry.gaps).toEqual(['handoff.id', 'handoff.status', 'handoff.queue_position', 'handoff.created_at']);
    expect(JSON.stringify(handoffToLegacy(stored.value, stored.carry))).toBe(raw);
  });

  it('keeps a legacy client body as it was (no invented reason), and carries unknown fields', () => {
    const minimal = handoffFromLegacy(edgeJson('handoff-minimal'), { conversationId: 'conv-4' });
    expect(minimal.value).toMatchObject({ reason: 'human_requested', proposedAction: null });
    expect(minimal.value.transcript).toEqual([{ role: 'customer', text: 'refund?', at: null }]);
    expect(JSON.stringify(handoffToLegacy(minimal.value, minimal.carry))).toBe(
      edge('handoff-minimal.fixture.json').toString(),
    );
    // Once the reason is a decision of the gateway, it is sent.
    expect(handoffToLegacy({ ...minimal.value, reason: 'legal_threat' }, minimal.carry)).toMatchObject({
      handoff: { reason: 'legal_threat' },
    });
    const address = handoffFromLegacy(edgeJson('handoff-address-extra'), { conversationId: 'conv-4' });
    expect(address.value.proposedAction).toEqual({
      type: 'address_change',
      customerId: '10001',
      address: { street: 'Neue Str. 5', city: 'Potsdam', zipCode: null, countryCode: 'DE' },
    });
    expect(address.carry.gaps).toEqual(['trace', 'handoff.priority']);
    expect(JSON.stringify(handoffToLegacy(address.value, address.carry))).toBe(
      edge('handoff-address-extra.fixture.json').toString(),
    );
  });

  it('rejects unknown proposed actions, roles and reasons, and a handoff without conversation', () => {
    for (const [file, text] of [
      ['handoff-unknown-action', 'handoff.proposed_action.type'],
      ['handoff-unknown-role', 'handoff.transcript[0].role'],
      ['handoff-unknown-reason', 'handoff.reason'],
    ] as const) {
      expect(() => handoffFromLegacy(edgeJson(file), { conversationId: 'c' })).toThrow(text);
    }
    expect(() => handoffFromLegacy(edgeJson('handoff-minimal'))).toThrow(MappingError);
  });

  it('builds the agent package from a reply and the conversation, with a bounded transcript', () => {
    const history = botReplyFromLegacy(recordedJson('post-message-fallback.201.fixture.json'));
    const messages: MessageV1[] = [history.userMessage.value, history.botMessage.value];
    const handoff = history.value.handoff;
    if (handoff === null) throw new Error('fallback maps to a handoff');
    const pkg = buildHandoff({ conversationId: 'conv-golden', handoff, messages });
    expect(HandoffV1Schema.parse(pkg)).toEqual(pkg);
    expect(pkg.transcript.map((t) => t.role)).toEqual(['customer', 'bot']);
    const long = { ...messages[0], text: `${'x'.repeat(4094)}😀tail` } as MessageV1;
    const [cut] = transcriptFromMessages([long]);
    expect(cut?.text).toHaveLength(4095);
    expect(cut?.text.endsWith('x…')).toBe(true);
    expect(transcriptFromMessages(Array.from({ length: 80 }, () => long))).toHaveLength(50);
  });
});
