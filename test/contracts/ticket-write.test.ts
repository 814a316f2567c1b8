import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contractJsonSchema, listContracts } from '../../contracts/registry.js';
import { type AddressChangeV1, AddressChangeV1Schema } from '../../contracts/v1/address-change.js';
import {
  type TicketCreateV1,
  TicketCreateV1Schema,
  type TicketUpdateV1,
  TicketUpdateV1Schema,
} from '../../contracts/v1/ticket-write.js';
import {
  downgradeTicketCreate,
  downgradeTicketUpdate,
  TicketCreateV2Schema,
  TicketUpdateV2Schema,
  upgradeTicketCreate,
  upgradeTicketUpdate,
} from '../../contracts/v2/ticket-write.js';
import { addressChangeFromLegacy, addressChangeToLegacy } from '../../mappers/address.js';
import {
  RequestBodyError,
  sameJson,
  ticketCreateFromLegacy,
  ticketCreateToLegacy,
  ticketUpdateFromLegacy,
  ticketUpdateToLegacy,
} from '../../mappers/ticket-write.js';

const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /\S/.test(s));
const id = fc.integer({ min: 1, max: 2 ** 31 });
const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
const fields = {
  priority: fc.constantFrom('urgent', 'high', 'normal', 'low', null),
  type: fc.constantFrom('problem', 'incident', 'question', 'task', null),
  status: fc.constantFrom('new', 'open', 'pending', 'hold', 'solved', 'closed'),
  requesterId: id,
  externalId: fc.option(fc.string(), { nil: null }),
  tags: fc.array(fc.string(), { maxLength: 4 }),
  customFields: fc.array(fc.record({ id, value: scalar }), { maxLength: 3 }),
} as const;

const ticketCreate = fc.record(
  { subject: text, comment: fc.record({ body: text }), ...fields },
  { requiredKeys: ['subject', 'comment'] },
) as fc.Arbitrary<TicketCreateV1>;
const ticketUpdate = fc.record(
  { subject: text, comment: fc.record({ body: text }), ...fields },
  { requiredKeys: [] },
) as fc.Arbitrary<TicketUpdateV1>;
const line = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => /\S/.test(s));
const addressChange = fc.record(
  {
    street: fc.option(line, { nil: null }),
    city: fc.option(line, { nil: null }),
    postalCode: fc.option(line, { nil: null }),
    country: fc.stringMatching(/^[A-Z]{2}$/),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<AddressChangeV1>;

/** The same object with its keys in reverse order (a client may send them in any order). */
const reversed = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).reverse());

describe('write-request contracts', () => {
  it('arbitrary values are valid (the arbitraries match the schemas)', () => {
    fc.assert(fc.property(ticketCreate, (t) => TicketCreateV1Schema.safeParse(t).success));
    fc.assert(fc.property(ticketUpdate, (t) => TicketUpdateV1Schema.safeParse(t).success));
    fc.assert(fc.property(addressChange, (a) => AddressChangeV1Schema.safeParse(a).success));
  });

  it('contract → legacy body → contract is the identity', () => {
    fc.assert(
      fc.property(ticketCreate, ticketUpdate, addressChange, (c, u, a) => {
        const wire = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
        expect(ticketCreateFromLegacy(wire(ticketCreateToLegacy(c))).value).toEqual(c);
        expect(ticketUpdateFromLegacy(wire(ticketUpdateToLegacy(u))).value).toEqual(u);
        expect(addressChangeFromLegacy(wire({ ADDRESS: addressChangeToLegacy(a) })).value).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it("a client's body renders back to the same JSON, whatever its key order (so its bytes can go to legacy)", () => {
    fc.assert(
      fc.property(ticketCreate, ticketUpdate, addressChange, (c, u, a) => {
        const create = { ticket: reversed(ticketCreateToLegacy(c).ticket) };
        const m = ticketCreateFromLegacy(create);
        expect(sameJson(create, ticketCreateToLegacy(m.value, m.carry))).toBe(true);
        const update = { ticket: reversed(ticketUpdateToLegacy(u).ticket) };
        const n = ticketUpdateFromLegacy(update);
        expect(sameJson(update, ticketUpdateToLegacy(n.value, n.carry))).toBe(true);
        const address = { ADDRESS: reversed(addressChangeToLegacy(a)) };
        const o = addressChangeFromLegacy(address);
        expect(sameJson(address, { ADDRESS: addressChangeToLegacy(o.value, o.carry) })).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('anything else is a RequestBodyError, never another exception', () => {
    const mutated = ticketCreate.chain((t) =>
      fc
        .record({
          key: fc.oneof(fc.constantFrom(...Object.keys(ticketCreateToLegacy(t).ticket)), fc.string()),
          value: fc.oneof(fc.jsonValue(), fc.constant(undefined)),
        })
        .map(({ key, value }) => ({ ticket: { ...ticketCreateToLegacy(t).ticket, [key]: value } })),
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutated), (payload) => {
        for (const map of [ticketCreateFromLegacy, ticketUpdateFromLegacy, addressChangeFromLegacy]) {
          try {
            map(payload);
          } catch (e) {
            expect(e).toBeInstanceOf(RequestBodyError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('leaves to legacy what the contract does not model, naming the legacy field', () => {
    const cases: [unknown, string][] = [
      [{ ticket: { subject: 'a', comment: { body: 'b' }, assignee_id: 1 } }, 'ticket.assignee_id'],
      [{ ticket: { subject: ' ', comment: { body: 'b' } } }, 'ticket.subject'],
      [{ ticket: { subject: 'a', comment: { body: 'b' }, requester_id: '3' } }, 'ticket.requester_id'],
      [{ ticket: { subject: 'a', comment: { body: 'b' } }, via: 'x' }, 'via'],
    ];
    for (const [body, path] of cases) {
      expect(() => ticketCreateFromLegacy(body)).toThrow(RequestBodyError);
      try {
        ticketCreateFromLegacy(body);
      } catch (e) {
        expect((e as RequestBodyError).issues.some((i) => i.startsWith(`${path}:`))).toBe(true);
      }
    }
    expect(() => addressChangeFromLegacy({ ADDRESS: { COUNTRY_CD: '' } })).toThrow(/ADDRESS\.COUNTRY_CD/);
    expect(() => addressChangeFromLegacy({ ADDRESS: { CITY: 'x'.repeat(61) } })).toThrow(/ADDRESS\.CITY/);
    expect(addressChangeFromLegacy({ ADDRESS: { STREET: '' } }).value).toEqual({ street: null });
  });

  it('every valid v1 request upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(ticketCreate, ticketUpdate, (c, u) => {
        const c2 = upgradeTicketCreate(c);
        expect(TicketCreateV2Schema.safeParse(c2).success).toBe(true);
        expect(downgradeTicketCreate(c2)).toEqual(c);
        const u2 = upgradeTicketUpdate(u);
        expect(TicketUpdateV2Schema.safeParse(u2).success).toBe(true);
        expect(downgradeTicketUpdate(u2)).toEqual(u);
      }),
      { numRuns: 300 },
    );
  });

  it('v2: critical is asked of v1 as urgent; the deprecated requesterId must agree with customerId', () => {
    const base = { subject: 'a', comment: { body: 'b' } };
    expect(downgradeTicketCreate({ ...base, priority: 'critical', customerId: 4 })).toEqual({
      ...base,
      priority: 'urgent',
      requesterId: 4,
    });
    expect(TicketCreateV2Schema.safeParse({ ...base, customerId: 4, requesterId: 5 }).success).toBe(false);
    expect(TicketUpdateV2Schema.safeParse({ requesterId: 5 }).success).toBe(true);
    expect(downgradeTicketUpdate({ requesterId: 5 })).toEqual({ requesterId: 5 });
  });

  it('are registered and served as JSON Schema', () => {
    const names = listContracts().map((c) => `${c.version}/${c.name}`);
    for (const n of ['TicketCreate', 'TicketUpdate', 'AddressChange']) {
      expect(names).toContain(`v1/${n}`);
      expect(names).toContain(`v2/${n}`);
    }
    const schema = contractJsonSchema('v1', 'TicketCreate') as { required?: string[]; additionalProperties?: unknown };
    expect(schema.required).toEqual(['subject', 'comment']);
    expect(schema.additionalProperties).toBe(false);
    expect(contractJsonSchema('v2', 'TicketUpdate')).toMatchObject({ $id: 'urn:gateway:contracts:v2:TicketUpdate' });
  });
});
