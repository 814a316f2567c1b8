import { z } from 'zod';
import { type TicketV1, TicketV1Schema } from '../v1/ticket.js';

/**
 * Ticket, version 2. Evolves v1 the way real APIs do (rules in contracts/README.md):
 * - additive: `channel`, the ticket's origin as a typed enum (v1 only has the free-form `via`);
 * - renamed: `requesterId` → `customerId`; `requesterId` stays, deprecated, always equal to `customerId`;
 * - widened enum: priority gains `critical` (v1 readers see it as `urgent`).
 */
export const TicketPriorityV2 = z.enum(['critical', 'urgent', 'high', 'normal', 'low']);
export const TicketChannelV2 = z.enum(['web', 'email', 'api', 'chat', 'voice', 'other']);

export const TicketV2Schema = TicketV1Schema.omit({ priority: true, requesterId: true })
  .extend({
    priority: TicketPriorityV2.nullable(),
    customerId: TicketV1Schema.shape.requesterId,
    requesterId: TicketV1Schema.shape.requesterId.describe('deprecated: use customerId'),
    channel: TicketChannelV2,
  })
  .strict()
  .refine((t) => t.requesterId === t.customerId, {
    message: 'requesterId (deprecated) must equal customerId',
    path: ['requesterId'],
  });

export type TicketV2 = z.infer<typeof TicketV2Schema>;

const CHANNELS = new Set<string>(TicketChannelV2.options);

export function channelOf(via: TicketV1['via']): z.infer<typeof TicketChannelV2> {
  const c = via.channel.toLowerCase();
  return CHANNELS.has(c) ? (c as z.infer<typeof TicketChannelV2>) : 'other';
}

export function upgradeTicket(t: TicketV1): TicketV2 {
  return { ...t, customerId: t.requesterId, requesterId: t.requesterId, channel: channelOf(t.via) };
}

/** Keeps every v1 field; `critical` is shown to v1 readers as `urgent`. */
export function downgradeTicket(t: TicketV2): TicketV1 {
  const { customerId, channel: _channel, priority, ...rest } = t;
  return { ...rest, requesterId: customerId, priority: priority === 'critical' ? 'urgent' : priority };
}
