import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressChangeV1Schema } from '../../contracts/v1/address-change.js';
import { CustomerMessageV1Schema } from '../../contracts/v1/conversation.js';
import { TicketCreateV1Schema, TicketUpdateV1Schema } from '../../contracts/v1/ticket-write.js';
import { addressChangeFromLegacy, addressChangeToLegacy } from '../../mappers/address.js';
import { customerMessageFromLegacy, customerMessageToLegacy } from '../../mappers/conversation.js';
import type { MappingError } from '../../mappers/mapping-error.js';
import {
  RequestBodyError,
  ticketCreateFromLegacy,
  ticketCreateToLegacy,
  ticketUpdateFromLegacy,
  ticketUpdateToLegacy,
} from '../../mappers/ticket-write.js';
import { edge, RECORDINGS } from '../fixtures/legacy/conversations/recordings.js';
import { FUZZ_TEST_TIMEOUT, fuzz } from './support/budget.js';
import { hostileJson, mutated } from './support/hostile.js';
import { checkMapping } from './support/mapper-check.js';

/**
 * What clients send on the new write paths (ticket create/update, CRM address change, a customer's chat message),
 * under hostile input. A body the contract does not model is a RequestBodyError (legacy answers it); a body that maps
 * renders back to the client's exact JSON, so its bytes can go to legacy as they are.
 */

const TICKET_BODIES = [
  {
    ticket: {
      subject: 'Printer on fire',
      comment: { body: 'The printer in room 3 is on fire.' },
      priority: 'urgent',
      type: 'incident',
      requester_id: 1,
      external_id: 'A-1001',
      tags: ['printer', 'fire'],
      custom_fields: [{ id: 360001, value: 'A-1001' }],
    },
  },
  { ticket: { subject: 'Hallo', comment: { body: 'Wo ist mein Paket? 📦' }, status: 'new' } },
  { ticket: { status: 'solved', comment: { body: 'Fixed' } } },
  { ticket: { priority: null, type: null, tags: [], external_id: null } },
  {
    ticket: {
      custom_fields: [
        { id: 1, value: null },
        { id: 2, value: true },
        { id: 3, value: 12 },
      ],
    },
  },
];
const ADDRESS_BODIES = [
  { ADDRESS: { STREET: 'Hauptstraße 12', CITY: 'Potsdam', ZIP_CD: '14467', COUNTRY_CD: 'DE' } },
  { ADDRESS: { CITY: '', ZIP_CD: '10115' } },
  { ADDRESS: { COUNTRY_CD: 'US', STREET: '1 Main St' } },
];
const POSTED = [
  ...RECORDINGS.filter((r) => r.body !== undefined && r.path.endsWith('/messages')).map((r) => r.body),
  ...['extra', 'numeric-id', 'blank', 'control-char'].map(
    (f) => JSON.parse(edge(`post-body-${f}.fixture.json`).toString('utf8')) as unknown,
  ),
];

const isRequestBodyError = (r: { ok: boolean; error?: MappingError }) => r.ok || r.error instanceof RequestBodyError;

describe('write-request mappers under hostile input', () => {
  it(
    'ticket create/update bodies: contract value or RequestBodyError; what maps renders back to the same JSON',
    () => {
      let mapped = 0;
      const inputs = fc.oneof(hostileJson, mutated(fc.constantFrom(...TICKET_BODIES)));
      fuzz(inputs, (input) => {
        const c = checkMapping('ticketCreateFromLegacy', input, ticketCreateFromLegacy, TicketCreateV1Schema);
        const u = checkMapping('ticketUpdateFromLegacy', input, ticketUpdateFromLegacy, TicketUpdateV1Schema);
        expect(isRequestBodyError(c) && isRequestBodyError(u)).toBe(true);
        // Every create body is an update body too (an update only relaxes what is required).
        if (c.ok) expect(u.ok).toBe(true);
        if (u.ok) mapped++;

        if (c.ok)
          expect(JSON.stringify(ticketCreateToLegacy(c.result.value, c.result.carry))).toBe(JSON.stringify(input));
        if (u.ok)
          expect(JSON.stringify(ticketUpdateToLegacy(u.result.value, u.result.carry))).toBe(JSON.stringify(input));
      });
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'CRM address change bodies: contract value or RequestBodyError; what maps renders back to the same JSON',
    () => {
      let mapped = 0;
      const inputs = fc.oneof(hostileJson, mutated(fc.constantFrom(...ADDRESS_BODIES)));
      fuzz(
        inputs,
        (input) => {
          const r = checkMapping('addressChangeFromLegacy', input, addressChangeFromLegacy, AddressChangeV1Schema);
          expect(isRequestBodyError(r)).toBe(true);
          if (!r.ok) return;
          mapped++;
          const body = { ADDRESS: addressChangeToLegacy(r.result.value, r.result.carry) };
          expect(JSON.stringify(body)).toBe(JSON.stringify(input));
        },
        { share: 0.5 },
      );
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    "a customer's chat message: contract value or MappingError; what maps renders back to the same JSON",
    () => {
      let mapped = 0;
      const inputs = fc.tuple(
        fc.oneof(hostileJson, mutated(fc.constantFrom(...POSTED))),
        fc.constantFrom('conv-golden', 'c', 'x'.repeat(200)),
      );
      fuzz(
        inputs,
        ([input, conversationId]) => {
          const r = checkMapping(
            'customerMessageFromLegacy',
            input,
            (x) => customerMessageFromLegacy(x, { conversationId }),
            CustomerMessageV1Schema,
          );
          if (!r.ok) return;
          mapped++;
          {
            const body = customerMessageToLegacy(r.result.value, r.result.carry);
            expect(JSON.stringify(body)).toBe(JSON.stringify(input));
          }
        },
        { share: 0.5 },
      );
      expect(mapped, 'cases that mapped (the round trip ran)').toBeGreaterThan(0);
    },
    FUZZ_TEST_TIMEOUT,
  );
});
