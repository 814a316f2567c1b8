import { z } from 'zod';
import {
  type OrderStateV1,
  type OrderStatusV1,
  OrderStatusV1Schema,
  type OrderV1,
  OrderV1Schema,
} from '../v1/order.js';

/**
 * Orders, version 2. Evolves v1 the way real APIs do (rules in contracts/README.md), the same way for Order and
 * OrderStatus:
 * - additive: `trackingUrl`, the carrier's public tracking page (null when the carrier is unknown or not shipped yet);
 * - renamed: `trackingNumber` → `shipmentId` (it identifies the carrier's shipment, tracked or not);
 *   `trackingNumber` stays, deprecated, always equal to `shipmentId`;
 * - widened enum: status gains `partially_shipped` (v1 readers see `processing`: they must not tell a customer the
 *   whole order is on its way) and `returned` (v1 readers see `delivered`, the last state v1 can express).
 */
export const OrderStateV2 = z.enum([
  'processing',
  'on_hold',
  'partially_shipped',
  'shipped',
  'delivered',
  'returned',
  'cancelled',
]);

const TrackingUrl = z.url({ protocol: /^https$/ }).nullable();

function renamed<S extends z.ZodType>(schema: S) {
  return { shipmentId: schema, trackingNumber: schema.describe('deprecated: use shipmentId') };
}

const sameShipment = {
  message: 'trackingNumber (deprecated) must equal shipmentId',
  path: ['trackingNumber'],
};

export const OrderV2Schema = OrderV1Schema.omit({ status: true, trackingNumber: true })
  .extend({
    status: OrderStateV2,
    ...renamed(OrderV1Schema.shape.trackingNumber),
    trackingUrl: TrackingUrl,
  })
  .strict()
  .refine((o) => o.trackingNumber === o.shipmentId, sameShipment);

export const OrderStatusV2Schema = OrderStatusV1Schema.omit({ status: true, trackingNumber: true })
  .extend({
    status: OrderStateV2,
    ...renamed(OrderStatusV1Schema.shape.trackingNumber),
    trackingUrl: TrackingUrl,
  })
  .strict()
  .refine((o) => o.trackingNumber === o.shipmentId, sameShipment);

export type OrderStateV2 = z.infer<typeof OrderStateV2>;
export type OrderV2 = z.infer<typeof OrderV2Schema>;
export type OrderStatusV2 = z.infer<typeof OrderStatusV2Schema>;

/** Public tracking pages of the carriers the shop uses, by lower-cased carrier name. */
const TRACKING_PAGES: Readonly<Record<string, (id: string) => string>> = {
  dhl: (id) => `https://www.dhl.de/de/privatkunden/dhl-sendungsverfolgung.html?piececode=${id}`,
  dpd: (id) => `https://tracking.dpd.de/status/de_DE/parcel/${id}`,
  ups: (id) => `https://www.ups.com/track?tracknum=${id}`,
  hermes: (id) => `https://www.myhermes.de/empfangen/sendungsverfolgung/sendungsinformation#${id}`,
  gls: (id) => `https://gls-group.com/track/${id}`,
};

/** The tracking page for a shipment, or null when there is no shipment id or the carrier is not one we know. */
export function trackingUrlOf(carrier: string | null, shipmentId: string | null): string | null {
  if (carrier === null || shipmentId === null) return null;
  const key = carrier.trim().toLowerCase();
  const page = Object.hasOwn(TRACKING_PAGES, key) ? TRACKING_PAGES[key] : undefined;
  return page ? page(encodeURIComponent(shipmentId.trim())) : null;
}

/** What a v1 reader sees for a v2 status. */
export function stateToV1(s: OrderStateV2): OrderStateV1 {
  if (s === 'partially_shipped') return 'processing';
  if (s === 'returned') return 'delivered';
  return s;
}

function shipmentOf<T extends { carrier: string | null; trackingNumber: string | null }>(v: T) {
  return {
    shipmentId: v.trackingNumber,
    trackingNumber: v.trackingNumber,
    trackingUrl: trackingUrlOf(v.carrier, v.trackingNumber),
  };
}

export function upgradeOrder(o: OrderV1): OrderV2 {
  return { ...o, ...shipmentOf(o) };
}

/** Keeps every v1 field; the widened statuses map as documented above; `trackingUrl` is dropped. */
export function downgradeOrder(o: OrderV2): OrderV1 {
  const { shipmentId, trackingUrl: _url, status, ...rest } = o;
  return { ...rest, trackingNumber: shipmentId, status: stateToV1(status) };
}

export function upgradeOrderStatus(s: OrderStatusV1): OrderStatusV2 {
  return { ...s, ...shipmentOf(s) };
}

export function downgradeOrderStatus(s: OrderStatusV2): OrderStatusV1 {
  const { shipmentId, trackingUrl: _url, status, ...rest } = s;
  return { ...rest, trackingNumber: shipmentId, status: stateToV1(status) };
}
