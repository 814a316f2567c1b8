import type { z } from 'zod';
import { PositiveId } from '../common.js';
import {
  type TicketCreateV1,
  TicketCreateV1Schema,
  type TicketUpdateV1,
  TicketUpdateV1Schema,
} from '../v1/ticket-write.js';
import { TicketPriorityV2 } from './ticket.js';

/**
 * Ticket write requests, version 2: the same evolutions as TicketV2 where they apply to a request (contracts/README.md):
 * - renamed: `requesterId` → `customerId`; `requesterId` stays, deprecated; when both are sent they must agree;
 * - widened enum: priority `critical` (v1 writers see it as `urgent`).
 * TicketV2's additive `channel` has no request counterpart: legacy decides the channel of what it stores.
 */
const requesterAlias = <T extends { customerId?: number | undefined; requesterId?: number | undefined }>(t: T) =>
  t.customerId === undefined || t.requesterId === undefined || t.customerId === t.requesterId;
const aliasIssue = { message: 'requesterId (deprecated) must equal customerId', path: ['requesterId'] };

const v2Fields = {
  priority: TicketPriorityV2.nullable().optional(),
  customerId: PositiveId.optional(),
  requesterId: PositiveId.optional().describe('deprecated: use customerId'),
};

export const TicketCreateV2Schema = TicketCreateV1Schema.omit({ priority: true, requesterId: true })
  .extend(v2Fields)
  .strict()
  .refine(requesterAlias, aliasIssue);

export const TicketUpdateV2Schema = TicketUpdateV1Schema.omit({ priority: true, requesterId: true })
  .extend(v2Fields)
  .strict()
  .refine(requesterAlias, aliasIssue);

export type TicketCreateV2 = z.infer<typeof TicketCreateV2Schema>;
export type TicketUpdateV2 = z.infer<typeof TicketUpdateV2Schema>;

export function upgradeTicketCreate(t: TicketCreateV1): TicketCreateV2 {
  const { requesterId, ...rest } = t;
  return requesterId === undefined ? rest : { ...rest, customerId: requesterId, requesterId };
}

/** Keeps every v1 field; `critical` is asked of v1 as `urgent`. */
export function downgradeTicketCreate(t: TicketCreateV2): TicketCreateV1 {
  const { customerId, requesterId, priority, ...rest } = t;
  const out: TicketCreateV1 = rest;
  const id = customerId ?? requesterId;
  if (id !== undefined) out.requesterId = id;
  if (priority !== undefined) out.priority = priority === 'critical' ? 'urgent' : priority;
  return out;
}

export function upgradeTicketUpdate(t: TicketUpdateV1): TicketUpdateV2 {
  const { requesterId, ...rest } = t;
  return requesterId === undefined ? rest : { ...rest, customerId: requesterId, requesterId };
}

/** Keeps every v1 field; `critical` is asked of v1 as `urgent`. */
export function downgradeTicketUpdate(t: TicketUpdateV2): TicketUpdateV1 {
  const { customerId, requesterId, priority, ...rest } = t;
  const out: TicketUpdateV1 = rest;
  const id = customerId ?? requesterId;
  if (id !== undefined) out.requesterId = id;
  if (priority !== undefined) out.priority = priority === 'critical' ? 'urgent' : priority;
  return out;
}
