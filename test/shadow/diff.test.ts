import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BotReplyV1Schema } from '../../contracts/v1/bot-reply.js';
import { CustomerV1Schema } from '../../contracts/v1/customer.js';
import { OrderV1Schema } from '../../contracts/v1/order.js';
import { TicketV1Schema } from '../../contracts/v1/ticket.js';
import { UserV1Schema } from '../../contracts/v1/user.js';
import { CustomerV2Schema } from '../../contracts/v2/customer.js';
import { renderTicket, seedTicket } from '../../legacy-adapters/simulator/seed-tickets.js';
import { ticketFromLegacy } from '../../mappers/ticket.js';
import { diffValues, normalisePath, TRUNCATED_PATH } from '../../src/shadow/compare/diff.js';
import { inferRules, rulesFor } from '../../src/shadow/compare/infer.js';

const comparators = (rules: Record<string, { comparator: string }>) =>
  Object.fromEntries(Object.entries(rules).map(([k, v]) => [k, v.comparator]));

/** A real TicketV1 value: a seeded legacy ticket through the production mapper. */
function ticket(id: number) {
  return ticketFromLegacy(renderTicket('http://legacy.test', seedTicket(id))).value;
}

describe('normalisePath', () => {
  it('turns every index into []', () => {
    expect(normalisePath('customFields[2].value')).toBe('customFields[].value');
    expect(normalisePath('$effects[10].payload.lines[0][3]')).toBe('$effects[].payload.lines[][]');
    expect(normalisePath('tags')).toBe('tags');
  });

  it('leaves quoted keys as they are, digits and brackets inside them included', () => {
    expect(normalisePath('meta["[3]"][2]["a.b"]')).toBe('meta["[3]"][]["a.b"]');
    expect(normalisePath('x["say \\"[1]\\""][0]')).toBe('x["say \\"[1]\\""][]');
  });
});

describe('inferRules', () => {
  it('reads enums and ISO date-times off TicketV1', () => {
    expect(comparators(inferRules(TicketV1Schema))).toEqual({
      type: 'enum',
      priority: 'enum',
      status: 'enum',
      dueAt: 'timestamp',
      createdAt: 'timestamp',
      updatedAt: 'timestamp',
    });
  });

  it('finds the E.164 phone and the money object in the customer contracts (v1 and the refined v2)', () => {
    const expected = {
      phone: 'phone',
      creditLimit: 'money',
      createdAt: 'timestamp',
      lastContactAt: 'timestamp',
      status: 'enum',
    };
    expect(comparators(inferRules(CustomerV1Schema))).toEqual(expected);
    expect(comparators(inferRules(CustomerV2Schema))).toEqual(expected);
    // UserV1 declares its own E.164 regex inline: detected by behaviour, not by identity.
    expect(inferRules(UserV1Schema).phone?.comparator).toBe('phone');
  });

  it('keeps calendar dates strict and walks arrays, unions and nested objects with [] paths', () => {
    const order = comparators(inferRules(OrderV1Schema));
    expect(order).toEqual({ status: 'enum', total: 'money', placedAt: 'timestamp' });
    expect(order.estimatedDelivery).toBeUndefined();
    expect(comparators(inferRules(BotReplyV1Schema))).toEqual({
      'actions[].resource': 'enum',
      'actions[].fields[].kind': 'enum',
      'handoff.reason': 'enum',
    });
  });

  it('honours .meta({ comparator }) and lets explicit rules win', () => {
    const S = z.object({
      reply: z.string().meta({ comparator: 'text' }),
      tags: z.array(z.string()).meta({ comparator: 'set' }),
      at: z.iso.datetime(),
      mobile: z.e164().nullable(),
      plain: z.string().min(3),
    });
    expect(comparators(inferRules(S))).toEqual({ reply: 'text', tags: 'set', at: 'timestamp', mobile: 'phone' });
    const rules = rulesFor(S, {
      at: { comparator: 'timestamp', toleranceMs: 60_000 },
      reply: { comparator: 'strict' },
    });
    expect(rules.at).toEqual({ comparator: 'timestamp', toleranceMs: 60_000 });
    expect(rules.reply).toEqual({ comparator: 'strict' });
  });

  it('drops a rule that union branches disagree on', () => {
    const S = z.union([z.object({ v: z.enum(['a']) }), z.object({ v: z.iso.datetime() })]);
    expect(inferRules(S)).toEqual({});
  });
});

describe('diffValues', () => {
  const rules = rulesFor(TicketV1Schema, { tags: { comparator: 'set' }, description: { comparator: 'text' } });

  it('finds nothing between a ticket and its deep copy', () => {
    const t = ticket(5);
    expect(diffValues(t, structuredClone(t), rules)).toEqual([]);
  });

  it('reports changed, missing and extra fields with concrete paths and the comparator used', () => {
    const legacy = ticket(3);
    const candidate: Record<string, unknown> = structuredClone(legacy);
    candidate.subject = `${legacy.subject}!`;
    candidate.customFields = [{ id: 360_001, value: 'A-9999' }];
    delete candidate.brandId;
    candidate.channel = 'web';
    const diffs = diffValues(legacy, candidate, rules);
    expect(diffs).toEqual([
      { path: 'subject', kind: 'changed', comparator: 'strict', legacy: legacy.subject, candidate: candidate.subject },
      {
        path: 'customFields[0].value',
        kind: 'changed',
        comparator: 'strict',
        legacy: legacy.customFields[0]?.value,
        candidate: 'A-9999',
      },
      { path: 'brandId', kind: 'missing', comparator: 'strict', legacy: legacy.brandId },
      { path: 'channel', kind: 'extra', comparator: 'strict', candidate: 'web' },
    ]);
  });

  it('applies typed comparators at their node (timestamp tolerance, enum case, set order, text threshold)', () => {
    const legacy = { ...ticket(4), tags: ['b', 'a'], description: 'Where is my parcel? It has not arrived yet.' };
    const ok = {
      ...legacy,
      updatedAt: new Date(Date.parse(legacy.updatedAt) + 999).toISOString(),
      status: legacy.status.toUpperCase(),
      tags: ['a', 'b', 'a'],
      description: 'where is my parcel?  it has not arrived yet',
    };
    expect(diffValues(legacy, ok, rules)).toEqual([]);
    const bad = { ...ok, updatedAt: new Date(Date.parse(legacy.updatedAt) + 1500).toISOString(), tags: ['a'] };
    expect(diffValues(legacy, bad, rules)).toEqual([
      { path: 'tags', kind: 'changed', comparator: 'set', legacy: legacy.tags, candidate: ['a'] },
      {
        path: 'updatedAt',
        kind: 'changed',
        comparator: 'timestamp',
        legacy: legacy.updatedAt,
        candidate: bad.updatedAt,
        score: 1500,
      },
    ]);
  });

  it('compares arrays without a set rule index by index (surplus elements are missing / extra)', () => {
    expect(diffValues({ ids: [1, 2, 3] }, { ids: [1, 4] }, {})).toEqual([
      { path: 'ids[1]', kind: 'changed', comparator: 'strict', legacy: 2, candidate: 4 },
      { path: 'ids[2]', kind: 'missing', comparator: 'strict', legacy: 3 },
    ]);
    expect(diffValues([], [{ a: 1 }], {}, { prefix: '$body' })).toEqual([
      { path: '$body[0]', kind: 'extra', comparator: 'strict', candidate: { a: 1 } },
    ]);
  });

  it('looks rules up by normalised path and skips ignored paths, present or not', () => {
    const r = { 'items[].name': { comparator: 'enum' }, 'items[].sku': { comparator: 'ignore' } } as const;
    const legacy = {
      items: [
        { sku: 'X', name: 'Mug' },
        { sku: 'Y', name: 'Cup' },
      ],
    };
    const candidate = { items: [{ sku: 'Z', name: 'MUG' }, { name: 'Plate' }] };
    expect(diffValues(legacy, candidate, r)).toEqual([
      { path: 'items[1].name', kind: 'changed', comparator: 'enum', legacy: 'Cup', candidate: 'Plate' },
    ]);
  });

  it('reports a change of kind at the node (object vs array vs primitive vs null)', () => {
    expect(diffValues({ a: { x: 1 } }, { a: [1] }, {})).toEqual([
      { path: 'a', kind: 'changed', comparator: 'strict', legacy: { x: 1 }, candidate: [1] },
    ]);
    expect(diffValues(null, { a: 1 }, {})).toEqual([
      { path: '$', kind: 'changed', comparator: 'strict', legacy: null, candidate: { a: 1 } },
    ]);
  });

  it('quotes keys that would read as more than one level, so that no two fields share a path', () => {
    // Found by the comparison fuzz test: `{ "[.[": 0 }` named a path of three levels.
    expect(diffValues({ 'a.b': 1, a: { b: 1 } }, { a: {} }, {}).map((d) => d.path)).toEqual(['["a.b"]', 'a.b']);
    expect(diffValues({ x: { '[0]': 1, '': 2, 'q"': 3 } }, { x: {} }, {}).map((d) => d.path)).toEqual([
      'x["[0]"]',
      'x[""]',
      'x["q\\""]',
    ]);
    // Rules are found by the same quoted, normalised path.
    const rules = { 'items[]["unit.price"]': { comparator: 'ignore' as const } };
    expect(diffValues({ items: [{ 'unit.price': 1, n: 1 }] }, { items: [{ 'unit.price': 2, n: 2 }] }, rules)).toEqual([
      { path: 'items[0].n', kind: 'changed', comparator: 'strict', legacy: 1, candidate: 2 },
    ]);
  });

  it('does not take Object.prototype members for rules or keys', () => {
    expect(diffValues({ constructor: 'a' }, { constructor: 'A' }, {})).toEqual([
      { path: 'constructor', kind: 'changed', comparator: 'strict', legacy: 'a', candidate: 'A' },
    ]);
    const proto = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    expect(diffValues(proto, {}, {})).toEqual([
      { path: '__proto__', kind: 'missing', comparator: 'strict', legacy: { x: 1 } },
    ]);
  });

  it('caps the number of diffs with one truncation marker', () => {
    const a = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, -i - 1]));
    const diffs = diffValues(a, b, {}, { maxDiffs: 50 });
    expect(diffs).toHaveLength(51);
    expect(diffs[50]).toEqual({
      path: TRUNCATED_PATH,
      kind: 'changed',
      comparator: 'strict',
      legacy: 'max_diffs',
      candidate: 'k50',
    });
    expect(diffValues(a, b, {})).toHaveLength(201);
  });

  it('caps the depth: hostile nesting gives a marker, not a stack overflow', () => {
    const deep = (n: number, leaf: unknown): unknown => {
      let v = leaf;
      for (let i = 0; i < n; i++) v = { a: [v] };
      return v;
    };
    const diffs = diffValues(deep(100_000, 1), deep(100_000, 2), {});
    expect(diffs).toEqual([
      {
        path: TRUNCATED_PATH,
        kind: 'changed',
        comparator: 'strict',
        legacy: 'max_depth',
        candidate: expect.any(String),
      },
    ]);
    expect(diffValues(deep(10, 1), deep(10, 2), {})).toEqual([
      {
        path: `${'a[0].'.repeat(9)}a[0]`,
        kind: 'changed',
        comparator: 'strict',
        legacy: 1,
        candidate: 2,
      },
    ]);
  });
});
