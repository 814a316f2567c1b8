import { z } from 'zod';
import { IsoDateTime, PositiveId } from '../common.js';

/**
 * Orders, version 1: what new code sees instead of the SOAP order service's `GetOrderStatusResponse/Order`.
 * Mapping rules (legacy `YYYYMMDD HHmmss` in the shop's zone → UTC, `YYYYMMDD` → calendar date, empty → null) live in
 * mappers/order.ts.
 */

/**
 * Text the legacy wire can carry: XML 1.0 characters only (no NUL or other C0 controls, no lone surrogates, no
 * U+FFFE/U+FFFF). A value outside this set could not be sent to or received from the order service, so it is invalid.
 */
const XmlText = z
  .string()
  .regex(/^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u, 'XML 1.0 characters only');

/** A value that is present: blank legacy values are `null`, so a contract value is never blank. */
const Text = XmlText.regex(/\S/, 'not blank');

/** Order lifecycle. Named "state" so it does not collide with the OrderStatus contract below. */
export const OrderStateV1 = z.enum(['processing', 'on_hold', 'shipped', 'delivered', 'cancelled']);

/** ISO 8601 UTC with whole seconds: legacy stores `YYYYMMDD HHmmss`, so finer precision could not round-trip. */
export const OrderDateTimeV1 = z.iso.datetime({ offset: false, precision: 0 });

/** Calendar date `YYYY-MM-DD`: a day in the shop's calendar, not an instant, so it has no zone and no time. */
export const IsoDate = z.iso.date();

/**
 * Money: a decimal string with exactly two places (never a float) and an ISO 4217 currency. An order total is
 * never negative. Same shape as the customer contract's money (contracts may only share through common.ts).
 */
export const OrderMoneyV1Schema = z
  .object({
    amount: z.string().regex(/^(0|[1-9]\d*)\.\d{2}$/, 'a non-negative decimal string with two places, e.g. "49.90"'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code'),
  })
  .strict();

export const OrderItemV1Schema = z
  .object({
    sku: Text,
    quantity: z.number().int().positive(),
    /** Display name of the article; null when legacy sends none. */
    name: Text.nullable(),
  })
  .strict();

/** Opaque order number, e.g. `A-1001`. */
export const OrderIdV1 = Text;

export const OrderV1Schema = z
  .object({
    id: OrderIdV1,
    /** The CRM customer id (see CustomerV1.id). */
    customerId: PositiveId,
    status: OrderStateV1,
    /** Carrier name as legacy spells it (`DHL`, `Hermes`); null until the order ships. */
    carrier: Text.nullable(),
    trackingNumber: Text.nullable(),
    total: OrderMoneyV1Schema,
    placedAt: OrderDateTimeV1,
    /** null for cancelled orders and whenever legacy gives no estimate. */
    estimatedDelivery: IsoDate.nullable(),
    /** Free-text note from the customer or the shop, verbatim (legacy sends it as CDATA). */
    note: Text.nullable(),
    items: z.array(OrderItemV1Schema),
  })
  .strict();

/**
 * The answer to "what is the status of my order?": a projection of OrderV1 that a bot or a tracking page needs,
 * without money, items or the customer's note. `lastUpdated` is when the status last changed, present only when the
 * source knows it (the legacy order service does not, so orders read from it have no `lastUpdated`).
 */
export const OrderStatusV1Schema = z
  .object({
    orderId: OrderIdV1,
    status: OrderStateV1,
    carrier: Text.nullable(),
    trackingNumber: Text.nullable(),
    estimatedDelivery: IsoDate.nullable(),
    lastUpdated: IsoDateTime.optional(),
  })
  .strict();

export type OrderStateV1 = z.infer<typeof OrderStateV1>;
export type OrderMoneyV1 = z.infer<typeof OrderMoneyV1Schema>;
export type OrderItemV1 = z.infer<typeof OrderItemV1Schema>;
export type OrderV1 = z.infer<typeof OrderV1Schema>;
export type OrderStatusV1 = z.infer<typeof OrderStatusV1Schema>;
