import { z } from 'zod';
import { IsoDateTime, PositiveId } from '../common.js';

export const TicketTypeV1 = z.enum(['problem', 'incident', 'question', 'task']);
export const TicketPriorityV1 = z.enum(['urgent', 'high', 'normal', 'low']);
export const TicketStatusV1 = z.enum(['new', 'open', 'pending', 'hold', 'solved', 'closed']);

/** A support ticket, version 1. camelCase, typed enums, ISO timestamps; the legacy shape is the mapper's business. */
export const TicketV1Schema = z
  .object({
    id: PositiveId,
    /** Canonical URL of the ticket resource. */
    url: z.url(),
    externalId: z.string().nullable(),
    type: TicketTypeV1.nullable(),
    subject: z.string(),
    rawSubject: z.string(),
    description: z.string(),
    priority: TicketPriorityV1.nullable(),
    status: TicketStatusV1,
    recipient: z.string().nullable(),
    requesterId: PositiveId,
    submitterId: PositiveId,
    assigneeId: PositiveId.nullable(),
    organizationId: PositiveId.nullable(),
    groupId: PositiveId.nullable(),
    collaboratorIds: z.array(PositiveId),
    followerIds: z.array(PositiveId),
    hasIncidents: z.boolean(),
    isPublic: z.boolean(),
    dueAt: IsoDateTime.nullable(),
    tags: z.array(z.string()),
    customFields: z.array(z.object({ id: PositiveId, value: z.unknown() }).strict()),
    satisfactionRating: z.object({ score: z.string() }).loose().nullable(),
    via: z.object({ channel: z.string(), source: z.unknown().optional() }).loose(),
    brandId: PositiveId.nullable(),
    allowAttachments: z.boolean(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .strict();

export type TicketV1 = z.infer<typeof TicketV1Schema>;
