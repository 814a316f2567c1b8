import { z } from 'zod';
import { IsoDateTime, PositiveId } from '../common.js';

/** A ticketing (Zendesk-style) user, version 1: `GET /api/v2/users/{id}` in camelCase with an E.164 phone. */

export const UserRoleV1 = z.enum(['end-user', 'agent', 'admin']);

export const UserV1Schema = z
  .object({
    /** Canonical URL of the user resource. */
    url: z.url(),
    id: PositiveId,
    name: z.string(),
    /** Lower-cased, like the CRM's `email`, so the two systems compare equal. */
    email: z
      .email()
      .regex(/^[^A-Z]*$/, 'lower-case')
      .nullable(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    /** Zendesk's display name of the zone (`Berlin`, `Eastern Time (US & Canada)`). */
    timeZone: z.string(),
    /** IANA zone id (`Europe/Berlin`). */
    ianaTimeZone: z.string(),
    /** E.164; legacy free-form numbers are parsed with the region of `locale` as the default. */
    phone: z
      .string()
      .regex(/^\+[1-9]\d{1,14}$/, 'an E.164 phone number')
      .nullable(),
    locale: z.string(),
    localeId: z.number().int().nonnegative(),
    organizationId: PositiveId.nullable(),
    role: UserRoleV1,
    verified: z.boolean(),
    /** For end-users, the CRM customer id as a string (`"10001"`). */
    externalId: z.string().nullable(),
    tags: z.array(z.string()),
    active: z.boolean(),
    lastLoginAt: IsoDateTime.nullable(),
  })
  .strict();

export type UserV1 = z.infer<typeof UserV1Schema>;
