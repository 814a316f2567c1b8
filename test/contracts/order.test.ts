import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OrderStatusV1, OrderStatusV1Schema, type OrderV1, OrderV1Schema } from '../../contracts/v1/order.js';
import {
  downgradeOrder,
  downgradeOrderStatus,
  OrderStatusV2Schema,
  OrderV2Schema,
  upgradeOrder,
  upgradeOrderStatus,
} from '../../contracts/v2/order.js';
import { parseOrderServiceXml } from '../../legacy-adapters/orders-soap.js';
import { isoToLegacyTimestamp } from '../../mappers/common.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { orderFromLegacy, orderToLegacy, renderOrderStatusResponse } from '../../mappers/order.js';

const ZONE = 'Europe/Berlin';
const isoOf = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Characters the legacy wire can carry, biased towards the ones XML and CDATA treat specially. */
const char = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\r', '\n', '\t', ' ', '\u00a0', '—', '😀'),
    },
    { weight: 10, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  )
  .filter((c) => /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u.test(c));
const text = fc.string({ unit: char, minLength: 1, maxLength: 24 }).filter((s) => s.trim() !== '');
const optText = fc.option(text, { nil: null });

/** EU DST changes happen at 01:00 UTC on the last Sundays of March and October. */
function lastSunday(year: number, month: number): number {
  const end = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, end.getUTCDate() - end.getUTCDay(), 1);
}
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 }).map((s) => s * 1000),
  // Dense around DST changes, where wall-clock conversion goes wrong most easily.
  fc
    .record({
      year: fc.integer({ min: 1996, max: 2089 }),
      month: fc.constantFrom(2, 9),
      s: fc.integer({ min: -10_800, max: 10_800 }),
    })
    .map(({ year, month, s }) => lastSunday(year, month) + s * 1000),
);
/** The legacy wall clock cannot tell the first pass of the repeated autumn hour from the second: those are excluded. */
const placedAt = instant
  .filter(
    (ms) =>
      isoToLegacyTimestamp(isoOf(ms), { timeZone: ZONE }) !==
      isoToLegacyTimestamp(isoOf(ms + 3_600_000), { timeZone: ZONE }),
  )
  .map(isoOf);

const cents = fc.bigInt({ min: 0n, max: 10n ** 15n });
const state = fc.constantFrom('processing', 'on_hold', 'shipped', 'delivered', 'cancelled' as const);

/** Arbitrary valid OrderV1 values (hand-derived from OrderV1Schema). */
const orderV1: fc.Arbitrary<OrderV1> = fc.record({
  id: text,
  customerId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  status: state,
  carrier: optText,
  trackingNumber: optText,
  total: fc.record({
    amount: cents.map((c) => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`),
    currency: fc.constantFrom('EUR', 'USD', 'GBP', 'CHF', 'JPY'),
  }),
  placedAt,
  estimatedDelivery: fc.option(
    fc
      .integer({ min: Date.UTC(1990, 0, 1) / 86_400_000, max: Date.UTC(2090, 0, 1) / 86_400_000 })
      .map((d) => isoOf(d * 86_400_000).slice(0, 10)),
    { nil: null },
  ),
  note: optText,
  items: fc.array(fc.record({ sku: text, quantity: fc.integer({ min: 1, max: 2 ** 31 }), name: optText }), {
    maxLength: 4,
  }),
});

const orderStatusV1: fc.Arbitrary<OrderStatusV1> = fc.record(
  {
    orderId: text,
    status: state,
    carrier: optText,
    trackingNumber: optText,
    estimatedDelivery: fc.option(fc.constantFrom('2024-01-09', '2024-02-29', '1999-12-31'), { nil: null }),
    lastUpdated: placedAt,
  },
  { requiredKeys: ['orderId', 'status', 'carrier', 'trackingNumber', 'estimatedDelivery'] },
);

const wireToOrder = (xml: string) => {
  const answer = parseOrderServiceXml(xml);
  if (answer.kind !== 'result' || answer.order === undefined) throw new Error('no order in rendered XML');
  return answer.order;
};

describe('Order contract', () => {
  it('arbitrary values are valid OrderV1 / OrderStatusV1 (the arbitraries match the schemas)', () => {
    fc.assert(
      fc.property(orderV1, (o) => OrderV1Schema.safeParse(o).success),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(orderStatusV1, (s) => OrderStatusV1Schema.safeParse(s).success),
      { numRuns: 200 },
    );
  });

  it('contract → legacy XML → contract is the identity (CDATA, escaping, Berlin wall clock, DST)', () => {
    fc.assert(
      fc.property(orderV1, (o) => {
        expect(orderFromLegacy(wireToOrder(renderOrderStatusResponse(o))).value).toEqual(o);
        expect(orderFromLegacy(orderToLegacy(o)).value).toEqual(o);
      }),
      { numRuns: 300 },
    );
  });

  it('contract → legacy XML → contract is the identity in other zones too', () => {
    fc.assert(
      fc.property(orderV1, fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'), (o, timeZone) => {
        // As for Berlin above: the first pass of this zone's repeated autumn hour reads back as the second.
        const hourLater = new Date(Date.parse(o.placedAt) + 3_600_000).toISOString();
        fc.pre(isoToLegacyTimestamp(o.placedAt, { timeZone }) !== isoToLegacyTimestamp(hourLater, { timeZone }));
        const xml = renderOrderStatusResponse(o, undefined, { timeZone });
        expect(orderFromLegacy(wireToOrder(xml), { timeZone }).value).toEqual(o);
      }),
      { numRuns: 200 },
    );
  });

  it('legacy → contract never throws anything but MappingError (arbitrary JSON, mutated orders, mutated XML)', () => {
    const legacy = orderV1.map((o) => wireToOrder(renderOrderStatusResponse(o)));
    const mutated = legacy.chain((l) =>
      fc
        .record({
          key: fc.constantFrom(...Object.keys(l), 'Extra', '__proto__'),
          value: fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined), fc.object()),
        })
        .map(({ key, value }) => Object.fromEntries([...Object.entries(l), [key, value]])),
    );
    const xmlSpliced = fc
      .tuple(
        orderV1,
        fc.nat(),
        fc.oneof(fc.string(), fc.constantFrom('<', '</ord:Status>', '&', ']]>', '<ord:Items/>')),
      )
      .map(([o, at, junk]) => {
        const xml = renderOrderStatusResponse(o);
        const i = at % xml.length;
        return xml.slice(0, i) + junk + xml.slice(i);
      });
    const check = (payload: unknown) => {
      try {
        orderFromLegacy(payload);
      } catch (e) {
        expect(e).toBeInstanceOf(MappingError);
      }
    };
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.object(), mutated), check), { numRuns: 500 });
    fc.assert(
      fc.property(xmlSpliced, (xml) => {
        const answer = parseOrderServiceXml(xml);
        if (answer.kind === 'result' && answer.order !== undefined) check(answer.order);
      }),
      { numRuns: 300 },
    );
  });

  it('every valid v1 order upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(orderV1, (o) => {
        const v2 = upgradeOrder(o);
        expect(OrderV2Schema.safeParse(v2).success).toBe(true);
        expect(v2.shipmentId).toBe(o.trackingNumber);
        expect(downgradeOrder(v2)).toEqual(o);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(orderStatusV1, (s) => {
        const v2 = upgradeOrderStatus(s);
        expect(OrderStatusV2Schema.safeParse(v2).success).toBe(true);
        expect(downgradeOrderStatus(v2)).toEqual(s);
      }),
      { numRuns: 200 },
    );
  });

  it('maps the widened statuses onto documented v1 values and keeps the deprecated alias in step', () => {
    fc.assert(
      fc.property(orderV1, (o) => {
        const v2 = upgradeOrder(o);
        expect(downgradeOrder({ ...v2, status: 'partially_shipped' }).status).toBe('processing');
        expect(downgradeOrder({ ...v2, status: 'returned' }).status).toBe('delivered');
        expect(OrderV1Schema.safeParse(downgradeOrder({ ...v2, status: 'returned' })).success).toBe(true);
        expect(OrderV2Schema.safeParse({ ...v2, trackingNumber: `${v2.shipmentId ?? ''}x` }).success).toBe(false);
      }),
      { numRuns: 100 },
    );
    const seeded = orderFromLegacy(
      wireToOrder(readFileSync(new URL('../fixtures/legacy/orders/A-1001.xml', import.meta.url), 'utf8')),
    ).value;
    expect(upgradeOrder(seeded).trackingUrl).toBe('https://tracking.dpd.de/status/de_DE/parcel/DPD0000007919');
    expect(upgradeOrder({ ...seeded, carrier: 'Pony Express' }).trackingUrl).toBeNull();
    expect(upgradeOrder({ ...seeded, trackingNumber: null }).trackingUrl).toBeNull();
    expect(OrderV2Schema.shape.trackingNumber.description).toBe('deprecated: use shipmentId');
  });

  it('rejects values the legacy wire cannot carry and money that is not a two-place decimal', () => {
    const o = orderFromLegacy(
      wireToOrder(readFileSync(new URL('../fixtures/legacy/orders/A-1001.xml', import.meta.url), 'utf8')),
    ).value;
    for (const bad of [
      { ...o, note: 'bell\u0007' },
      { ...o, note: '   ' },
      { ...o, carrier: '\ud800' },
      { ...o, total: { amount: '49.9', currency: 'EUR' } },
      { ...o, total: { amount: '-1.00', currency: 'EUR' } },
      { ...o, placedAt: '2024-01-02T09:15:00.500Z' },
      { ...o, estimatedDelivery: '2024-02-30' },
      { ...o, unknown: 1 },
    ]) {
      expect(OrderV1Schema.safeParse(bad).success).toBe(false);
    }
  });

  it('exports every order contract as JSON Schema', () => {
    for (const schema of [OrderV1Schema, OrderStatusV1Schema, OrderV2Schema, OrderStatusV2Schema]) {
      const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as { properties?: object };
      expect(Object.keys(json.properties ?? {})).toContain('status');
    }
  });
});
