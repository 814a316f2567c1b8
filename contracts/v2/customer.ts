import { z } from 'zod';
import { type CustomerV1, CustomerV1Schema } from '../v1/customer.js';

/**
 * CRM customer, version 2. Evolves v1 the way real APIs do (rules in contracts/README.md):
 * - additive: `preferredLanguage` (BCP 47, e.g. `de`, `en-US`); the CRM does not know it, so upgrades carry `null`;
 * - renamed: `orderCount` → `lifetimeOrderCount` (clients read "orderCount" as open orders; it counts every order
 *   ever placed); `orderCount` stays, deprecated, always equal to `lifetimeOrderCount`;
 * - widened enum: status gains `closed` (an account the customer closed); v1 readers see it as `inactive`.
 */
export const CustomerStatusV2 = z.enum(['active', 'inactive', 'suspended', 'closed']);

export const CustomerV2Schema = CustomerV1Schema.omit({ status: true, orderCount: true })
  .extend({
    status: CustomerStatusV2,
    lifetimeOrderCount: CustomerV1Schema.shape.orderCount,
    orderCount: CustomerV1Schema.shape.orderCount.describe('deprecated: use lifetimeOrderCount'),
    preferredLanguage: z
      .string()
      .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag')
      .nullable(),
  })
  .strict()
  .refine((c) => c.orderCount === c.lifetimeOrderCount, {
    message: 'orderCount (deprecated) must equal lifetimeOrderCount',
    path: ['orderCount'],
  });

export type CustomerV2 = z.infer<typeof CustomerV2Schema>;

export function upgradeCustomer(c: CustomerV1): CustomerV2 {
  return { ...c, lifetimeOrderCount: c.orderCount, preferredLanguage: null };
}

/** Keeps every v1 field; `closed` is shown to v1 readers as `inactive` (both mean "cannot order"). */
export function downgradeCustomer(c: CustomerV2): CustomerV1 {
  const { lifetimeOrderCount, preferredLanguage: _preferredLanguage, status, ...rest } = c;
  return { ...rest, orderCount: lifetimeOrderCount, status: status === 'closed' ? 'inactive' : status };
}
