import { z } from 'zod';
import { CountryCode, NonBlank } from './customer.js';

/** The CRM stores at most 60 characters per address field (it answers 400 `VALIDATION_ERROR` beyond). */
export const ADDRESS_FIELD_MAX = 60;

const Line = NonBlank.max(ADDRESS_FIELD_MAX);

/**
 * A change of a customer's address (`PUT /crm/customers/{id}/address`), version 1: the fields of AddressV1, each
 * optional. Absent leaves a field as it is (the CRM merges a partial address); `null` clears it. The country cannot
 * be cleared (the CRM accepts only an ISO 3166-1 alpha-2 code). A request outside this contract is left to the CRM
 * to answer.
 */
export const AddressChangeV1Schema = z
  .object({
    street: Line.nullable().optional(),
    city: Line.nullable().optional(),
    postalCode: Line.nullable().optional(),
    country: CountryCode.optional(),
  })
  .strict();

export type AddressChangeV1 = z.infer<typeof AddressChangeV1Schema>;
