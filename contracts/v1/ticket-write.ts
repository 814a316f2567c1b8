import { z } from 'zod';
import { PositiveId } from '../common.js';
import { TicketPriorityV1, TicketStatusV1, TicketTypeV1, TicketV1Schema } from './ticket.js';

/**
 * What a client asks the ticketing system to write (`POST /api/v2/tickets`, `PUT|PATCH /api/v2/tickets/{id}`),
 * version 1. A request contract: it says what the new path understands, so it is exactly as wide as the legacy fields
 * it models. A request outside it (an unknown key, a blank subject, a requester id sent as a string) is not an error
 * of the new path: the gateway lets legacy answer it, in legacy's own words. Absent means "not asked for"; `null`
 * (where allowed) means "clear it", as legacy reads it.
 */

/** Text legacy requires to say something (it answers 422 `BlankValue` for blanks). */
export const RequiredTextV1 = z.string().regex(/\S/, 'not blank');

/** A comment added with the write; its body becomes the description of a new ticket. */
export const TicketCommentV1Schema = z.object({ body: RequiredTextV1 }).strict();

const writable = {
  priority: TicketPriorityV1.nullable().optional(),
  type: TicketTypeV1.nullable().optional(),
  status: TicketStatusV1.optional(),
  requesterId: PositiveId.optional(),
  externalId: z.string().nullable().optional(),
  /** As the client sent them; legacy lower-cases them and splits them on whitespace. */
  tags: z.array(z.string()).optional(),
  /** Legacy-defined field ids with free-form values. */
  customFields: TicketV1Schema.shape.customFields.optional(),
};

export const TicketCreateV1Schema = z
  .object({
    subject: RequiredTextV1,
    comment: TicketCommentV1Schema,
    ...writable,
  })
  .strict();

/** Every field optional: only what is present changes. An empty update is still a write (it touches updatedAt). */
export const TicketUpdateV1Schema = z
  .object({
    subject: RequiredTextV1.optional(),
    comment: TicketCommentV1Schema.optional(),
    ...writable,
  })
  .strict();

export type TicketCreateV1 = z.infer<typeof TicketCreateV1Schema>;
export type TicketUpdateV1 = z.infer<typeof TicketUpdateV1Schema>;
