import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConversationV1Schema,
  CustomerMessageV1Schema,
  CustomerTextV1,
  MessageV1Schema,
} from '../../contracts/v1/conversation.js';
import {
  ConversationV2Schema,
  CustomerMessageV2Schema,
  downgradeConversation,
  downgradeCustomerMessage,
  downgradeMessage,
  MessageV2Schema,
  upgradeConversation,
  upgradeCustomerMessage,
  upgradeMessage,
} from '../../contracts/v2/conversation.js';
import {
  conversationFromLegacy,
  conversationToLegacy,
  customerMessageFromLegacy,
  customerMessageToLegacy,
  messageFromLegacy,
  messageToLegacy,
} from '../../mappers/conversation.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { conversationV1, customerMessageV1, messageV1 } from '../fixtures/legacy/conversations/arbitraries.js';
import { recordedJson } from '../fixtures/legacy/conversations/recordings.js';

const viaWire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Only MappingError may escape a legacy → contract mapper. */
function onlyMappingError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MappingError);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every key path of a JSON object, down to `depth` levels. */
function keyPaths(v: Record<string, unknown>, depth: number): string[][] {
  return Object.entries(v).flatMap(([k, x]) => [
    [k],
    ...(depth > 1 && isObject(x) ? keyPaths(x, depth - 1).map((p) => [k, ...p]) : []),
  ]);
}

/** A legacy object with one key, at any level down to 3, replaced by arbitrary JSON or removed. */
function mutated(base: fc.Arbitrary<Record<string, unknown>>) {
  const junk = fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined), fc.constant(null));
  return base.chain((wire) =>
    fc.record({ path: fc.constantFrom(...keyPaths(wire, 3)), value: junk }).map(({ path, value }) => {
      const copy = structuredClone(wire);
      let at: Record<string, unknown> = copy;
      for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
      at[path[path.length - 1] ?? ''] = value;
      return copy;
    }),
  );
}

describe('Message, Conversation and CustomerMessage contracts', () => {
  it('arbitrary values are valid v1 documents (the arbitraries match the schemas)', () => {
    fc.assert(
      fc.property(messageV1, (m) => MessageV1Schema.safeParse(m).success),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(conversationV1, (c) => ConversationV1Schema.safeParse(c).success),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(customerMessageV1, (m) => CustomerMessageV1Schema.safeParse(m).success),
      { numRuns: 300 },
    );
  });

  it('contract → legacy wire → contract is the identity', () => {
    fc.assert(
      fc.property(messageV1, (m) => {
        expect(messageFromLegacy(viaWire(messageToLegacy(m))).value).toEqual(m);
      }),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(conversationV1, (c) => {
        expect(conversationFromLegacy(viaWire(conversationToLegacy(c)), { conversationId: c.id }).value).toEqual(c);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(customerMessageV1, (m) => {
        const wire = viaWire(customerMessageToLegacy(m));
        expect(customerMessageFromLegacy(wire, { conversationId: m.conversationId }).value).toEqual(m);
      }),
      { numRuns: 400 },
    );
  });

  it('legacy → contract never throws anything but MappingError (arbitrary JSON and mutated legacy payloads)', () => {
    const fixtures = (recordedJson('list-messages.200.fixture.json') as { messages: Record<string, unknown>[] })
      .messages;
    const legacyMessage = fc.oneof(fc.constantFrom(...fixtures), messageV1.map(messageToLegacy));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutated(legacyMessage)), (payload) => {
        onlyMappingError(() => {
          // Whatever maps renders back to the same bytes (timestamps with an offset are normalised to Z).
          const { value, carry } = messageFromLegacy(payload);
          if (value.receivedAt === (payload as { received?: unknown }).received)
            expect(JSON.stringify(messageToLegacy(value, carry))).toBe(JSON.stringify(payload));
        });
        onlyMappingError(() => conversationFromLegacy({ messages: [payload] }, { conversationId: 'conv-golden' }));
      }),
      { numRuns: 500 },
    );
    const posted = mutated(customerMessageV1.map(customerMessageToLegacy));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), posted), (payload) => {
        onlyMappingError(() => customerMessageFromLegacy(payload, { conversationId: 'conv-1' }));
      }),
      { numRuns: 500 },
    );
  });

  it('every valid v1 document upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(messageV1, conversationV1, customerMessageV1, (m, c, cm) => {
        expect(MessageV2Schema.safeParse(upgradeMessage(m)).success).toBe(true);
        expect(downgradeMessage(upgradeMessage(m))).toEqual(m);
        expect(ConversationV2Schema.safeParse(upgradeConversation(c)).success).toBe(true);
        expect(downgradeConversation(upgradeConversation(c))).toEqual(c);
        expect(CustomerMessageV2Schema.safeParse(upgradeCustomerMessage(cm)).success).toBe(true);
        expect(downgradeCustomerMessage(upgradeCustomerMessage(cm))).toEqual(cm);
      }),
      { numRuns: 300 },
    );
  });

  it('maps the widened role onto a v1 value, keeps the deprecated alias in step, and keeps v2 additions out of v1', () => {
    fc.assert(
      fc.property(messageV1, (m) => {
        const system = {
          ...upgradeMessage(m),
          author: { role: 'system' as const, id: null, displayName: 'System' },
          attachments: [{ url: 'https://cdn.example.com/a.png', mediaType: 'image/png', name: null, sizeBytes: 12 }],
          locale: 'de-DE',
        };
        expect(MessageV2Schema.safeParse(system).success).toBe(true);
        const back = downgradeMessage(system);
        expect(back.author.role).toBe('bot');
        expect(MessageV1Schema.safeParse(back).success).toBe(true);
        expect(MessageV2Schema.safeParse({ ...system, quickReplies: [...system.suggestions, 'x'] }).success).toBe(
          false,
        );
        expect(MessageV2Schema.safeParse({ ...system, author: { ...system.author, id: '7' } }).success).toBe(false);
      }),
      { numRuns: 100 },
    );
    expect(MessageV2Schema.shape.quickReplies.description).toBe('deprecated: use suggestions');
  });

  it('states the input rules for customer text', () => {
    const ok = (s: string) => CustomerTextV1.safeParse(s).success;
    expect(ok('Where is my order?\n\tThanks')).toBe(true);
    expect(ok('x'.repeat(4000))).toBe(true);
    expect(ok('x'.repeat(4001))).toBe(false);
    expect(ok(' \n\t ')).toBe(false);
    expect(ok('nul\u0000')).toBe(false);
    expect(ok('del\u007f')).toBe(false);
    expect(ok('😀')).toBe(true);
    expect(ok('\uD83D')).toBe(false);
    expect(CustomerMessageV1Schema.safeParse({ conversationId: 'c 1', customerId: '1', text: 'hi' }).success).toBe(
      false,
    );
  });
});
