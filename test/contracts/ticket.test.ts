import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TicketV1Schema } from '../../contracts/v1/ticket.js';
import { downgradeTicket, TicketV2Schema, upgradeTicket } from '../../contracts/v2/ticket.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { ticketFromLegacy, ticketToLegacy } from '../../mappers/ticket.js';
import { ticketV1 } from '../helpers/arbitraries.js';

describe('Ticket contract', () => {
  it('arbitrary values are valid TicketV1 (the arbitrary matches the schema)', () => {
    fc.assert(
      fc.property(ticketV1, (t) => TicketV1Schema.safeParse(t).success),
      { numRuns: 300 },
    );
  });

  it('contract → legacy wire → contract is the identity', () => {
    fc.assert(
      fc.property(ticketV1, (t) => {
        const wire = JSON.parse(JSON.stringify(ticketToLegacy(t))) as unknown;
        expect(ticketFromLegacy(wire).value).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  it('legacy → contract never throws anything but MappingError', () => {
    const mutated = ticketV1.chain((t) =>
      fc
        .record({
          key: fc.constantFrom(...Object.keys(ticketToLegacy(t))),
          value: fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined)),
        })
        .map(({ key, value }) => ({ ...ticketToLegacy(t), [key]: value })),
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutated), (payload) => {
        try {
          ticketFromLegacy(payload);
        } catch (e) {
          expect(e).toBeInstanceOf(MappingError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('every valid v1 document upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(ticketV1, (t) => {
        const v2 = upgradeTicket(t);
        expect(TicketV2Schema.safeParse(v2).success).toBe(true);
        expect(downgradeTicket(v2)).toEqual(t);
      }),
      { numRuns: 300 },
    );
  });

  it('maps the widened enum onto a v1 value and keeps the deprecated alias in step', () => {
    fc.assert(
      fc.property(ticketV1, (t) => {
        const v2 = { ...upgradeTicket(t), priority: 'critical' as const };
        const back = downgradeTicket(v2);
        expect(back.priority).toBe('urgent');
        expect(TicketV1Schema.safeParse(back).success).toBe(true);
        expect(TicketV2Schema.safeParse({ ...v2, requesterId: v2.customerId + 1 }).success).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
