import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CustomerV1Schema } from '../../contracts/v1/customer.js';
import { TicketV1Schema } from '../../contracts/v1/ticket.js';
import { UserV1Schema } from '../../contracts/v1/user.js';
import { renderTicket, SEED_TICKET_COUNT, seedTicket } from '../../legacy-adapters/simulator/seed-tickets.js';
import { customerFromLegacy, renderCustomerResponse } from '../../mappers/customer.js';
import { renderTicketResponse, ticketFromLegacy, ticketToLegacy } from '../../mappers/ticket.js';
import { renderUserResponse, userFromLegacy } from '../../mappers/user.js';
import { ticketV1 } from '../helpers/arbitraries.js';
import { FUZZ_TEST_TIMEOUT, fuzz } from './support/budget.js';
import { hostileJson, mutated } from './support/hostile.js';
import { checkMapping } from './support/mapper-check.js';

/**
 * Legacy JSON records (ticketing tickets and users, CRM customers) under hostile input: arbitrary JSON, and recorded
 * payloads mutated anywhere (fields deleted, replaced, retyped, numbers as strings, huge strings, `__proto__` keys,
 * deep nesting, reordered and duplicated keys). Whatever maps, renders back to legacy's exact bytes.
 */

const wire = (v: unknown): Record<string, unknown> => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
const fixtures = (dir: string, keep: (f: string) => boolean) => {
  const base = new URL(`../fixtures/legacy/${dir}/`, import.meta.url);
  return readdirSync(base)
    .filter((f) => f.endsWith('.fixture.json') && keep(f))
    .map((f) => JSON.parse(readFileSync(new URL(f, base), 'utf8')) as Record<string, unknown>);
};

const seededTickets = Array.from({ length: SEED_TICKET_COUNT }, (_, i) =>
  wire(renderTicket('http://legacy.example:8090', seedTicket(i + 1))),
);
const recordedUsers = fixtures('ticketing-users', (f) => !f.includes('not-found')).map((f) => f.user ?? f);
const recordedCustomers = fixtures('crm', (f) => f.startsWith('customer-') && !f.includes('not-found'));

describe('legacy record mappers under hostile input', () => {
  it(
    'ticketFromLegacy: contract value or MappingError; what maps renders back to the same bytes',
    () => {
      let mapped = 0;
      const inputs = fc.oneof(
        hostileJson,
        mutated(fc.constantFrom(...seededTickets)),
        mutated(ticketV1.map((t) => wire(ticketToLegacy(t)))),
      );
      fuzz(inputs, (input) => {
        const r = checkMapping('ticketFromLegacy', input, (x) => ticketFromLegacy(x), TicketV1Schema);
        if (r.ok) mapped++;
        if (r.ok) {
          expect(renderTicketResponse(r.result.value, r.result.carry)).toBe(JSON.stringify({ ticket: input }));
        }
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'userFromLegacy: contract value or MappingError; what maps renders back to the same bytes',
    () => {
      let mapped = 0;
      const inputs = fc.oneof(hostileJson, mutated(fc.constantFrom(...recordedUsers)));
      fuzz(inputs, (input) => {
        const r = checkMapping('userFromLegacy', input, (x) => userFromLegacy(x), UserV1Schema);
        if (r.ok) mapped++;
        if (r.ok) {
          expect(renderUserResponse(r.result.value, r.result.carry)).toBe(JSON.stringify({ user: input }));
        }
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'customerFromLegacy: contract value or MappingError; what maps renders back to the same bytes',
    () => {
      let mapped = 0;
      const inputs = fc.tuple(
        fc.oneof(hostileJson, mutated(fc.constantFrom(...recordedCustomers))),
        fc.constantFrom('Europe/Berlin', 'UTC', 'America/New_York'),
      );
      fuzz(inputs, ([input, timeZone]) => {
        const opts = { timeZone };
        const r = checkMapping('customerFromLegacy', input, (x) => customerFromLegacy(x, opts), CustomerV1Schema);
        if (r.ok) mapped++;
        if (r.ok) {
          expect(renderCustomerResponse(r.result.value, r.result.carry, opts)).toBe(JSON.stringify(input));
        }
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );
});
