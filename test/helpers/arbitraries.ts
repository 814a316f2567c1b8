import fc from 'fast-check';
import type { TicketV1 } from '../../contracts/v1/ticket.js';

/** ISO 8601 UTC timestamps with whole seconds, as contracts carry them. */
export const isoSeconds = fc
  .integer({ min: Date.UTC(1990, 0, 1) / 1000, max: Date.UTC(2090, 0, 1) / 1000 })
  .map((s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z'));

const id = fc.integer({ min: 1, max: 2 ** 40 });
const text = fc.string({ unit: 'grapheme', maxLength: 60 });

/** Arbitrary valid TicketV1 values (hand-derived from TicketV1Schema). */
export const ticketV1: fc.Arbitrary<TicketV1> = fc.record({
  id,
  url: id.map((n) => `http://legacy.example/api/v2/tickets/${n}.json`),
  externalId: fc.option(text, { nil: null }),
  type: fc.constantFrom('problem', 'incident', 'question', 'task', null),
  subject: text,
  rawSubject: text,
  description: text,
  priority: fc.constantFrom('urgent', 'high', 'normal', 'low', null),
  status: fc.constantFrom('new', 'open', 'pending', 'hold', 'solved', 'closed'),
  recipient: fc.option(fc.emailAddress(), { nil: null }),
  requesterId: id,
  submitterId: id,
  assigneeId: fc.option(id, { nil: null }),
  organizationId: fc.option(id, { nil: null }),
  groupId: fc.option(id, { nil: null }),
  collaboratorIds: fc.array(id, { maxLength: 3 }),
  followerIds: fc.array(id, { maxLength: 3 }),
  hasIncidents: fc.boolean(),
  isPublic: fc.boolean(),
  dueAt: fc.option(isoSeconds, { nil: null }),
  tags: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }),
  customFields: fc.array(
    fc.record({ id, value: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)) }),
    { maxLength: 3 },
  ),
  satisfactionRating: fc.option(fc.record({ score: fc.constantFrom('good', 'bad', 'offered', 'unoffered') }), {
    nil: null,
  }),
  via: fc.record({
    channel: fc.constantFrom('web', 'email', 'api', 'chat', 'voice', 'sms'),
    source: fc.constant({ from: {}, to: {}, rel: null }),
  }),
  brandId: fc.option(id, { nil: null }),
  allowAttachments: fc.boolean(),
  createdAt: isoSeconds,
  updatedAt: isoSeconds,
});
