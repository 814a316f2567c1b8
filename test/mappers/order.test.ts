import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderStatusV1Schema, OrderV1Schema } from '../../contracts/v1/order.js';
import {
  decodeXmlBody,
  getOrderStatusEnvelope,
  type OrderServiceAnswer,
  parseOrderServiceXml,
} from '../../legacy-adapters/orders-soap.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { MappingError } from '../../mappers/mapping-error.js';
import {
  orderFromLegacy,
  orderStatusFromLegacy,
  orderToLegacy,
  renderOrderStatusResponse,
  wallClockToIso,
} from '../../mappers/order.js';

const DIR = new URL('../fixtures/legacy/orders/', import.meta.url);
const UTF8 = 'text/xml; charset=utf-8';
const fixtureBytes = (name: string) => readFileSync(new URL(name, DIR));
const fixture = (name: string) => fixtureBytes(name).toString('utf8');

function orderOf(answer: OrderServiceAnswer): Record<string, unknown> {
  if (answer.kind !== 'result' || answer.order === undefined) throw new Error(`no order: ${JSON.stringify(answer)}`);
  return answer.order;
}
const orderIn = (xml: string) => orderOf(parseOrderServiceXml(xml));
/** The canonical form of an order answer (see mappers/order.ts): the namespace-resolved parse tree. */
const canonical = (xml: string) => parseOrderServiceXml(xml);

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await sim.close();
});

const RECORDED = ['A-1001', 'A-1002', 'A-1003', 'A-1004', 'A-1005', 'A-1016', 'A-1020'];

describe('order mapper (SOAP Order ↔ OrderV1)', () => {
  it('maps every seeded order onto OrderV1 and renders the exact legacy bytes back, with and without a carry', async () => {
    for (let k = 1; k <= 40; k++) {
      const id = `A-${1000 + k}`;
      if (id === 'A-1013') continue; // the order service always answers E500 for it
      const res = await fetch(`${sim.url}/soap/OrderService`, {
        method: 'POST',
        headers: { 'content-type': UTF8, soapaction: '"urn:GetOrderStatus"' },
        body: getOrderStatusEnvelope(id),
      });
      const raw = await res.text();
      const { value, carry } = orderFromLegacy(orderIn(raw));
      expect(OrderV1Schema.parse(value)).toEqual(value);
      expect(value.id).toBe(id);
      expect(carry.gaps).toEqual([]);
      expect(renderOrderStatusResponse(value, carry)).toBe(raw);
      expect(renderOrderStatusResponse(value)).toBe(raw);
    }
  });

  it('maps the recorded A-1001 field by field: Berlin wall clock → UTC, date stays a date, CDATA note verbatim', () => {
    const { value } = orderFromLegacy(orderIn(fixture('A-1001.xml')));
    expect(value).toEqual({
      id: 'A-1001',
      customerId: 10001,
      status: 'shipped',
      carrier: 'DPD',
      trackingNumber: 'DPD0000007919',
      total: { amount: '49.90', currency: 'EUR' },
      placedAt: '2024-01-02T09:15:00Z',
      estimatedDelivery: '2024-01-09',
      note: 'Leave at <door> & ring',
      items: [{ sku: 'HOODIE-GRY-L', quantity: 1, name: 'Hoodie grey, L' }],
    });
  });

  it('maps every recorded fixture, parses it against OrderV1 and OrderStatusV1, and renders its bytes back', () => {
    for (const id of RECORDED) {
      const raw = fixture(`${id}.xml`);
      const { value, carry } = orderFromLegacy(orderIn(raw));
      OrderV1Schema.parse(value);
      expect(renderOrderStatusResponse(value, carry)).toBe(raw);
      const status = orderStatusFromLegacy(orderIn(raw)).value;
      expect(OrderStatusV1Schema.parse(status)).toEqual({
        orderId: value.id,
        status: value.status,
        carrier: value.carrier,
        trackingNumber: value.trackingNumber,
        estimatedDelivery: value.estimatedDelivery,
      });
      expect(status).not.toHaveProperty('lastUpdated');
    }
    const cancelled = orderFromLegacy(orderIn(fixture('A-1004.xml'))).value;
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      carrier: null,
      trackingNumber: null,
      estimatedDelivery: null,
    });
    expect(orderFromLegacy(orderIn(fixture('A-1020.xml'))).value).toMatchObject({
      placedAt: '2024-01-26T22:15:00Z',
      items: [{ name: 'Coffee mug "Logo"' }, { name: 'Water bottle 0.75 l' }],
    });
  });

  it('reads and writes timestamps in the timeZone option; the delivery date never moves with the zone', () => {
    const raw = fixture('A-1001.xml');
    for (const [timeZone, placedAt] of [
      ['UTC', '2024-01-02T10:15:00Z'],
      ['America/New_York', '2024-01-02T15:15:00Z'],
      ['Pacific/Kiritimati', '2024-01-01T20:15:00Z'],
    ] as const) {
      const { value, carry } = orderFromLegacy(orderIn(raw), { timeZone });
      expect(value.placedAt).toBe(placedAt);
      expect(value.estimatedDelivery).toBe('2024-01-09');
      expect(renderOrderStatusResponse(value, carry, { timeZone })).toBe(raw);
      expect(renderOrderStatusResponse(value, undefined, { timeZone })).toBe(raw);
    }
  });

  it('converts wall-clock times next to DST changes correctly (the repeated autumn hour reads as the later one)', () => {
    const berlin = (s: string) => wallClockToIso(s, 'Order.PlacedAt', 'Europe/Berlin');
    expect(berlin('20240331 013000')).toBe('2024-03-31T00:30:00Z'); // last hour of CET
    expect(berlin('20240331 033000')).toBe('2024-03-31T01:30:00Z'); // first hour of CEST
    expect(berlin('20240331 023000')).toBe('2024-03-31T01:30:00Z'); // in the gap: moved forward
    expect(berlin('20241027 013000')).toBe('2024-10-26T23:30:00Z'); // last full hour of CEST
    expect(berlin('20241027 023000')).toBe('2024-10-27T01:30:00Z'); // ambiguous: the CET one
    expect(berlin('20241027 033000')).toBe('2024-10-27T02:30:00Z');
  });

  it('parses other namespace prefixes, a default namespace, whitespace and split CDATA to the same order', () => {
    const viaO = orderFromLegacy(orderIn(fixture('prefix-o.xml')));
    expect(viaO.value).toEqual(orderFromLegacy(orderIn(fixture('A-1001.xml'))).value);
    expect(viaO.carry.gaps).toEqual([]);
    expect(canonical(renderOrderStatusResponse(viaO.value, viaO.carry))).toEqual(canonical(fixture('prefix-o.xml')));
    const viaDefault = orderFromLegacy(orderIn(fixture('default-ns.xml')));
    expect(viaDefault.value).toEqual(orderFromLegacy(orderIn(fixture('A-1003.xml'))).value);
    expect(viaDefault.value.note).toBe('Gift wrap, please — no invoice in the parcel');
    // Same canonical form, and (being legacy's own rendering) the exact bytes of the recorded A-1003.
    expect(canonical(renderOrderStatusResponse(viaDefault.value))).toEqual(canonical(fixture('default-ns.xml')));
    expect(renderOrderStatusResponse(viaDefault.value, viaDefault.carry)).toBe(fixture('A-1003.xml'));
  });

  it('maps missing elements to null / [] and leaves them out again when rendering', () => {
    const raw = fixture('missing-elements.xml');
    const { value, carry } = orderFromLegacy(orderIn(raw));
    expect(OrderV1Schema.parse(value)).toMatchObject({
      carrier: null,
      trackingNumber: null,
      estimatedDelivery: null,
      note: null,
      items: [],
    });
    expect(renderOrderStatusResponse(value, carry)).toBe(raw);
    // A value legacy did not send is inserted at its legacy position once the contract has one.
    const shipped = orderToLegacy({ ...value, carrier: 'GLS', note: 'x' }, carry);
    expect(Object.keys(shipped)).toEqual(['OrderId', 'CustomerId', 'Status', 'Carrier', 'Total', 'PlacedAt', 'Note']);
  });

  it('carries unmodelled elements and attributes through, in place, and reports each as a mapping gap', () => {
    const raw = fixture('extensions.xml');
    const { value, carry } = orderFromLegacy(orderIn(raw));
    OrderV1Schema.parse(value);
    expect(value).toMatchObject({
      carrier: 'DHL',
      note: null,
      items: [{ name: 'Socks, 3-pack' }, { name: 'Cap navy' }],
    });
    expect(carry.gaps.sort()).toEqual(
      [
        'Order.GiftWrap',
        'Order.{urn:shop:loyalty}Loyalty',
        'Order.@region',
        'Order.Carrier.@code',
        'Order.Total.@vatIncluded',
        'Order.Items.@count',
        'Order.Items.Item[0].@lineNo',
        'Order.Items.Item[1].Engraving',
        'Order.Items.Item[1].@lineNo',
      ].sort(),
    );
    expect(orderToLegacy(value, carry)).toEqual(orderIn(raw));
    expect(canonical(renderOrderStatusResponse(value, carry))).toEqual(canonical(raw));
    // Carried parts survive a changed contract value.
    const changed = orderIn(renderOrderStatusResponse({ ...value, carrier: 'UPS' }, carry));
    expect(changed.Carrier).toEqual({ '@_code': 'dhl', '#text': 'UPS' });
    expect(changed.GiftWrap).toBe('yes');
  });

  it('keeps legacy spellings the contract normalises while the value is unchanged, and drops them once it changes', () => {
    const raw = fixture('non-canonical.xml');
    const { value, carry } = orderFromLegacy(orderIn(raw));
    expect(OrderV1Schema.parse(value)).toMatchObject({
      customerId: 10005,
      status: 'shipped',
      carrier: null,
      note: null,
      total: { amount: '49.90', currency: 'EUR' },
      placedAt: '2024-01-01T23:00:00Z',
      items: [{ quantity: 1 }],
    });
    expect(carry.gaps).toEqual([]);
    expect(renderOrderStatusResponse(value, carry)).toBe(raw);
    const canonicalOrder = orderToLegacy(value);
    expect(canonicalOrder).toMatchObject({ CustomerId: '10005', Status: 'SHIPPED', PlacedAt: '20240102 000000' });
    const moved = orderToLegacy({ ...value, customerId: 10006, status: 'delivered' }, carry);
    expect(moved).toMatchObject({
      CustomerId: '10006',
      Status: 'DELIVERED',
      Carrier: '   ',
      Total: { '#text': '049.9' },
    });
  });

  it('rejects an unknown status with a MappingError naming the legacy element', () => {
    expect(() => orderFromLegacy(orderIn(fixture('unknown-status.xml')))).toThrow(MappingError);
    try {
      orderFromLegacy(orderIn(fixture('unknown-status.xml')));
    } catch (e) {
      expect((e as MappingError).issues).toEqual([expect.stringMatching(/^Order\.Status: "RETURNED_TO_SENDER"/)]);
    }
  });

  it('lists every schema break of a broken order in one MappingError', () => {
    try {
      orderFromLegacy(orderIn(fixture('broken.xml')));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MappingError);
      const issues = (e as MappingError).issues;
      for (const path of [
        'Order.CustomerId',
        'Order.Status: occurs 2 times',
        'Order.Total',
        'Order.Total.@currency',
        'Order.PlacedAt',
        'Order.EstimatedDelivery',
        'Order.Items.Item[0].@sku',
      ]) {
        expect(issues.some((i) => i.startsWith(path))).toBe(true);
      }
      expect(issues.filter((i) => i.startsWith('Order.Status'))).toHaveLength(1);
    }
    for (const bad of [null, 'x', [], { Items: 'text' }, { OrderId: { '#text': 5 } }]) {
      expect(() => orderFromLegacy(bad)).toThrow(MappingError);
    }
    expect(() =>
      orderFromLegacy({ ...orderIn(fixture('A-1001.xml')), Items: { Item: { '@_sku': 'S', '@_qty': '0' } } }),
    ).toThrow(/Order\.Items\.Item\[0\]\.@qty/);
  });

  it('maps a note over 1 MiB (non-ASCII, markup, entities) verbatim and renders it back', () => {
    const chunk = 'Bitte <nicht> klingeln & Paket beim Nachbarn abgeben — Grüße 😀 &amp; ';
    const note = chunk.repeat(Math.ceil((1024 * 1024 + 1) / chunk.length));
    const raw = fixture('huge-note.template.xml').replace('{{NOTE}}', note);
    expect(Buffer.byteLength(raw)).toBeGreaterThan(1024 * 1024);
    const { value, carry } = orderFromLegacy(orderIn(raw));
    expect(OrderV1Schema.parse(value).note === note).toBe(true);
    // Not toBe: a failure would print two megabytes.
    expect(renderOrderStatusResponse(value, carry) === raw).toBe(true);
  });

  it('maps non-UTF-8 bytes: U+FFFD when decoded as the declared UTF-8, the real letters with the right charset', () => {
    const bytes = fixtureBytes('latin1.xml');
    expect(bytes.includes(0xff)).toBe(true);
    const asUtf8 = orderFromLegacy(orderIn(decodeXmlBody(bytes, UTF8))).value;
    expect(OrderV1Schema.parse(asUtf8).note).toBe('Kunde w\uFFFDnscht Lieferung nach 18 Uhr \uFFFD');
    const asLatin1 = orderFromLegacy(orderIn(decodeXmlBody(bytes, 'text/xml; charset=ISO-8859-1'))).value;
    expect(OrderV1Schema.parse(asLatin1)).toMatchObject({
      note: 'Kunde wünscht Lieferung nach 18 Uhr ÿ',
      items: [{ name: 'T-Shirt schwarz, Größe M' }],
    });
  });

  it('keeps a note with ]]>, CR/LF, tabs, entity-like text and surrounding spaces exact through XML', () => {
    const base = orderFromLegacy(orderIn(fixture('A-1001.xml'))).value;
    const note = '  a ]]> b\r\nc\rd\t&amp; <![CDATA[x]]> é  ';
    const back = orderFromLegacy(orderIn(renderOrderStatusResponse({ ...base, note, carrier: 'A\r"\'<' }))).value;
    expect(back.note).toBe(note);
    expect(back.carrier).toBe('A\r"\'<');
  });
});
