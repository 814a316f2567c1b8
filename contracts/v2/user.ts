import { z } from 'zod';
import { PositiveId } from '../common.js';
import { type UserV1, UserV1Schema } from '../v1/user.js';

/**
 * Ticketing user, version 2. Evolves v1 the way real APIs do (rules in contracts/README.md):
 * - additive: `customerId`, the CRM customer the user is (from an end-user's numeric `externalId`), else `null`;
 * - renamed: `verified` → `emailVerified` (Zendesk's flag is about the primary e-mail identity); `verified` stays,
 *   deprecated, always equal to `emailVerified`;
 * - widened enum: role gains `light-agent`; v1 readers see it as `agent` (Zendesk's own v2 API reports light agents
 *   as role `agent` too).
 */
export const UserRoleV2 = z.enum(['end-user', 'light-agent', 'agent', 'admin']);

export const UserV2Schema = UserV1Schema.omit({ role: true, verified: true })
  .extend({
    role: UserRoleV2,
    emailVerified: z.boolean(),
    verified: z.boolean().describe('deprecated: use emailVerified'),
    customerId: PositiveId.nullable(),
  })
  .strict()
  .refine((u) => u.verified === u.emailVerified, {
    message: 'verified (deprecated) must equal emailVerified',
    path: ['verified'],
  });

export type UserV2 = z.infer<typeof UserV2Schema>;

/** The CRM customer id an external id names, when it is one (a positive safe integer in decimal). */
export function customerIdOf(externalId: string | null): number | null {
  if (externalId === null || !/^[1-9]\d{0,15}$/.test(externalId)) return null;
  const n = Number(externalId);
  return Number.isSafeInteger(n) ? n : null;
}

export function upgradeUser(u: UserV1): UserV2 {
  return { ...u, emailVerified: u.verified, customerId: customerIdOf(u.externalId) };
}

/** Keeps every v1 field; `light-agent` is shown to v1 readers as `agent`. */
export function downgradeUser(u: UserV2): UserV1 {
  const { emailVerified, customerId: _customerId, role, ...rest } = u;
  return { ...rest, verified: emailVerified, role: role === 'light-agent' ? 'agent' : role };
}
