import { z } from 'zod';
import { PositiveId } from '../common.js';

/**
 * A CRM customer, version 1. The old CRM's UPPER_SNAKE, all-strings record (`GET /crm/customers/{id}`) as new code
 * sees it: numbers as numbers, E.164 phones, money as a decimal string with a currency, ISO 8601 UTC timestamps,
 * `null` where the CRM sends an empty string.
 */

/** ISO 8601 UTC with whole seconds: the CRM stores `YYYYMMDD HHmmss`, so finer precision could not round-trip. */
export const CrmDateTimeV1 = z.iso.datetime({ offset: false, precision: 0 });

/** Money: a decimal string with exactly two places (never a float) and an ISO 4217 currency. */
export const MoneyV1Schema = z
  .object({
    amount: z
      .string()
      .regex(/^(?!-0\.00$)-?(0|[1-9]\d*)\.\d{2}$/, 'a canonical decimal string with two places, e.g. "49.90"'),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code'),
  })
  .strict();

/** E.164: `+`, country code, subscriber number, at most 15 digits. */
export const E164Phone = z.string().regex(/^\+[1-9]\d{1,14}$/, 'an E.164 phone number, e.g. +491712345678');

/** Text that says something: "no value" is `null`, never `""` or blanks (legacy's empty strings map to null). */
export const NonBlank = z.string().regex(/\S/, 'not blank (no value is null)');

/** E-mail, lower-cased (the CRM upper-cased some on import; mappers normalise, so systems compare equal). */
export const LowerCaseEmail = z.email().regex(/^[^A-Z]*$/, 'lower-case');

/** ISO 3166-1 alpha-2 country code. */
export const CountryCode = z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code');

export const CustomerStatusV1 = z.enum(['active', 'inactive', 'suspended']);

export const AddressV1Schema = z
  .object({
    street: NonBlank.nullable(),
    city: NonBlank.nullable(),
    postalCode: NonBlank.nullable(),
    country: CountryCode.nullable(),
  })
  .strict();

export const CustomerV1Schema = z
  .object({
    /** The CRM customer id (platform user n is customer 10000 + n). */
    id: PositiveId,
    firstName: NonBlank.nullable(),
    lastName: NonBlank.nullable(),
    email: LowerCaseEmail.nullable(),
    phone: E164Phone.nullable(),
    /** Currency follows the customer's country (see mappers/customer.ts `crmCurrencyFor`). */
    creditLimit: MoneyV1Schema.nullable(),
    orderCount: z.number().int().nonnegative().nullable(),
    createdAt: CrmDateTimeV1,
    lastContactAt: CrmDateTimeV1.nullable(),
    status: CustomerStatusV1,
    vip: z.boolean(),
    address: AddressV1Schema,
  })
  .strict();

export type MoneyV1 = z.infer<typeof MoneyV1Schema>;
export type AddressV1 = z.infer<typeof AddressV1Schema>;
export type CustomerV1 = z.infer<typeof CustomerV1Schema>;
