import { describe, expect, it } from 'vitest';
import {
  ConversationV1Schema,
  CustomerMessageV1Schema,
  type MessageV1,
  MessageV1Schema,
} from '../../contracts/v1/conversation.js';
import {
  conversationFromLegacy,
  conversationToLegacy,
  customerMessageFromLegacy,
  customerMessageToLegacy,
  isoUtc,
  messageFromLegacy,
  messageToLegacy,
} from '../../mappers/conversation.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { hugeLegacyMessage } from '../fixtures/legacy/conversations/arbitraries.js';
import { edge, RECORDINGS, recorded, recordedJson } from '../fixtures/legacy/conversations/recordings.js';

const edgeJson = (file: string): unknown => JSON.parse(edge(file).toString('utf8'));
const messagesOf = (file: string) => (recordedJson(file) as { messages: unknown[] }).messages;

function mappingError(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
    return e as MappingError;
  }
  throw new Error('expected a MappingError');
}

describe('conversation mapper: recorded legacy answers', () => {
  it('maps the recorded history onto ConversationV1 and renders the exact legacy bytes back', () => {
    const raw = recorded('list-messages.200.fixture.json');
    const { value, carry } = conversationFromLegacy(JSON.parse(raw), { conversationId: 'conv-golden' });
    expect(ConversationV1Schema.parse(value)).toEqual(value);
    expect(value.messages).toHaveLength(12);
    expect(carry.gaps).toEqual([]);
    expect(JSON.stringify(conversationToLegacy(value, carry))).toBe(raw);
    // Legacy's own shape is the canonical one: no carry needed.
    expect(JSON.stringify(conversationToLegacy(value))).toBe(raw);
  });

  it('names customers and the bot by role, keeps quick replies, and maps every recorded message', () => {
    const [customer, bot] = messagesOf('post-message-order.201.fixture.json').map((m) => messageFromLegacy(m).value);
    expect(customer).toEqual({
      id: 'conv-golden-1',
      conversationId: 'conv-golden',
      receivedAt: '2024-03-01T09:00:01Z',
      author: { role: 'customer', id: '10001', displayName: 'Anna Schmidt' },
      text: 'Where is my order A-1001?',
      quickReplies: [],
    } satisfies MessageV1);
    expect(bot?.author).toEqual({ role: 'bot', id: null, displayName: 'Legacy Bot' });
    expect(bot?.quickReplies).toEqual(['Track my order', 'Talk to an agent']);
    for (const r of RECORDINGS.filter((x) => x.status === 201)) {
      for (const m of messagesOf(r.file)) {
        const mapped = messageFromLegacy(m);
        expect(MessageV1Schema.parse(mapped.value)).toEqual(mapped.value);
        expect(JSON.stringify(messageToLegacy(mapped.value))).toBe(JSON.stringify(m));
      }
    }
  });

  it('maps the legacy POST bodies of the recordings onto CustomerMessageV1 and back to the same bytes', () => {
    for (const r of RECORDINGS.filter((x) => x.status === 201)) {
      const conversationId = r.path.split('/')[4] ?? '';
      const { value, carry } = customerMessageFromLegacy(r.body, { conversationId });
      expect(CustomerMessageV1Schema.parse(value)).toEqual(value);
      expect(JSON.stringify(customerMessageToLegacy(value, carry))).toBe(JSON.stringify(r.body));
    }
  });
});

describe('conversation mapper: hand-written edge cases', () => {
  it('carries unmodelled fields through at every level, reports them as gaps, and keeps legacy bytes', () => {
    const raw = edge('message-extra-fields.fixture.json').toString('utf8');
    const { value, carry } = messageFromLegacy(JSON.parse(raw));
    expect(MessageV1Schema.parse(value).quickReplies).toEqual(['Yes', 'No']);
    expect(carry.gaps).toEqual([
      'message.channel',
      'message.metadata',
      'message.author.avatar_url',
      'message.content.markdown',
      'message.content.actions[0].payload',
    ]);
    expect(JSON.stringify(messageToLegacy(value, carry))).toBe(raw);
    // A changed value is rendered canonically, and legacy's unmodelled keys still come along.
    const changed = messageToLegacy(
      { ...value, text: 'Bitte!', author: { ...value.author, displayName: 'B. M.' } },
      carry,
    );
    expect(changed).toMatchObject({
      channel: 'web',
      metadata: { source: 'widget', v: 3 },
      author: { display_name: 'B. M.', avatar_url: 'https://cdn.example.com/a/2.png' },
      content: { text: 'Bitte!', markdown: false },
    });
  });

  it('maps nulls to null and an agent (business author with an id) to role agent', () => {
    const nulls = messageFromLegacy(edgeJson('message-nulls.fixture.json'));
    expect(nulls.value.author).toEqual({ role: 'customer', id: null, displayName: null });
    expect(nulls.value.quickReplies).toEqual([]);
    expect(JSON.stringify(messageToLegacy(nulls.value, nulls.carry))).toBe(
      edge('message-nulls.fixture.json').toString(),
    );
    const agent = messageFromLegacy(edgeJson('message-agent.fixture.json'));
    expect(MessageV1Schema.parse(agent.value).author).toEqual({ role: 'agent', id: '27', displayName: 'Agent Karl' });
    expect(JSON.stringify(messageToLegacy(agent.value, agent.carry))).toBe(
      edge('message-agent.fixture.json').toString(),
    );
  });

  it('normalises offset timestamps to UTC and rejects impossible dates', () => {
    expect(isoUtc('2024-03-01T10:00:10.5-02:30', 'received')).toBe('2024-03-01T12:30:10.500Z');
    expect(isoUtc('2024-03-01T09:00:10.123Z', 'received')).toBe('2024-03-01T09:00:10.123Z');
    for (const bad of ['2024-02-30T10:00:10+01:00', '2024-03-01T24:00:10+01:00', '2024-03-01 10:00:10', '1', ''])
      expect(() => isoUtc(bad, 'received')).toThrow(MappingError);
    expect(messageFromLegacy(edgeJson('message-offset-time.fixture.json')).value.receivedAt).toBe(
      '2024-03-01T09:00:10Z',
    );
    expect(mappingError(() => messageFromLegacy(edgeJson('message-invalid-date.fixture.json'))).message).toContain(
      'message.received',
    );
  });

  it('rejects unknown enum values and missing fields with a MappingError naming the legacy path', () => {
    const cases: [string, string][] = [
      ['message-unknown-author-type.fixture.json', 'message.author.type'],
      ['message-unknown-content-type.fixture.json', 'message.content.type'],
      ['message-unknown-action-type.fixture.json', 'message.content.actions[0].type'],
      ['message-missing-fields.fixture.json', 'message.author'],
    ];
    for (const [file, path] of cases)
      expect(mappingError(() => messageFromLegacy(edgeJson(file))).message).toContain(path);
    expect(
      mappingError(() => conversationFromLegacy(edgeJson('list-not-array.fixture.json'), { conversationId: 'conv-9' }))
        .message,
    ).toContain('messages');
    const other = mappingError(() =>
      conversationFromLegacy(edgeJson('list-other-conversation.fixture.json'), { conversationId: 'conv-9' }),
    );
    expect(other.issues.join()).toContain('every message belongs to this conversation');
  });

  it('maps non-UTF-8 bytes the way the adapter decodes them (U+FFFD) and keeps them on the way back', () => {
    const text = edge('message-invalid-utf8.fixture.bin').toString('utf8');
    const { value, carry } = messageFromLegacy(JSON.parse(text));
    // A Latin-1 é (0xE9) and 0xFF 0xFE are not UTF-8: each becomes U+FFFD, as in the adapter's decoding.
    expect(MessageV1Schema.parse(value).text).toBe('caf\uFFFD \uFFFD\uFFFD ok');
    expect(JSON.stringify(messageToLegacy(value, carry))).toBe(text);
  });

  it('maps a message of more than 1 MB', () => {
    const legacy = hugeLegacyMessage();
    const raw = JSON.stringify(legacy);
    expect(Buffer.byteLength(raw)).toBeGreaterThan(1024 * 1024);
    const { value } = messageFromLegacy(JSON.parse(raw));
    expect(MessageV1Schema.parse(value).text.length).toBeGreaterThan(1_000_000);
    expect(JSON.stringify(messageToLegacy(value))).toBe(raw);
  });
});

describe('customer message mapper: what legacy clients post', () => {
  const map = (file: string) => customerMessageFromLegacy(edgeJson(file), { conversationId: 'conv-1' });

  it('accepts a numeric author id as legacy does, and carries unknown keys through with their bytes', () => {
    expect(map('post-body-numeric-id.fixture.json').value).toEqual({
      conversationId: 'conv-1',
      customerId: '10001',
      text: 'Where is my order?',
    });
    const extra = map('post-body-extra.fixture.json');
    expect(extra.carry.gaps).toEqual([
      'client_ref',
      'message.metadata',
      'message.author.name',
      'message.content.locale',
    ]);
    expect(JSON.stringify(customerMessageToLegacy(extra.value, extra.carry))).toBe(
      edge('post-body-extra.fixture.json').toString(),
    );
  });

  it('rejects what legacy answers 422 for, and what the contract forbids, naming the legacy field', () => {
    const cases: [string, string][] = [
      ['post-body-blank.fixture.json', 'message.content.text: must not be blank'],
      ['post-body-business.fixture.json', 'message.author.type'],
      ['post-body-missing-author-id.fixture.json', 'message.author.id'],
      ['post-body-control-char.fixture.json', 'message.content.text: must not contain control characters'],
    ];
    for (const [file, text] of cases) expect(mappingError(() => map(file)).message).toContain(text);
    const body = (text: string) => ({
      message: { author: { type: 'user', id: '1' }, content: { type: 'text', text } },
    });
    // Legacy accepts up to 4096; the contract stops at 4000, so whatever it accepts, legacy accepts too.
    expect(customerMessageFromLegacy(body('x'.repeat(4000)), { conversationId: 'c' }).value.text).toHaveLength(4000);
    expect(
      mappingError(() => customerMessageFromLegacy(body('x'.repeat(4001)), { conversationId: 'c' })).message,
    ).toContain('at most 4000');
    expect(mappingError(() => customerMessageFromLegacy(body('a\uD800b'), { conversationId: 'c' })).message).toContain(
      'lone surrogates',
    );
    expect(mappingError(() => customerMessageFromLegacy(body('hi'), { conversationId: 'a b' })).message).toContain(
      'conversation id',
    );
  });
});
