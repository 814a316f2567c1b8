import { CustomerV1Schema } from '../contracts/v1/customer.js';
import { TicketV1Schema } from '../contracts/v1/ticket.js';
import { TicketCreateV1Schema } from '../contracts/v1/ticket-write.js';
import { addressChangeFromLegacy } from '../mappers/address.js';
import { customerFromLegacy } from '../mappers/customer.js';
import { MappingError } from '../mappers/mapping-error.js';
import { ticketFromLegacy } from '../mappers/ticket.js';
import { parseRequestJson, ticketCreateFromLegacy, ticketUpdateFromLegacy } from '../mappers/ticket-write.js';
import { rulesFor } from '../src/shadow/compare/infer.js';
import { nameComparison } from '../src/shadow/compare-protocol.js';
import type {
  ContractSide,
  Effect,
  FieldRules,
  SchemaIssue,
  SliceComparison,
  WireAnswer,
} from '../src/shadow/types.js';

/**
 * How shadow runs compare each route slice (DESIGN.md §6). Answers are mapped onto the contract with the same mapper
 * the new path uses; wire fields the contract does not model become `unmodelled` (a difference there alone is a
 * mapping gap). Write slices also say which effects legacy applied, derived from the client's request and legacy's
 * answer, on the same write contract the dry-run adapters record (src/shadow/dry-run.ts), so both effect lists are
 * comparable field by field. Ticket text is compared exactly: a changed subject or comment is a real difference.
 */

type Request = Parameters<NonNullable<SliceComparison['legacyEffects']>>[0];

/** Turns a mapper's MappingError (`ticket.priority: Invalid option…`) into schema issues of one side. */
function issuesOf(err: unknown, side: 'legacy' | 'candidate'): SchemaIssue[] {
  if (!(err instanceof MappingError)) return [{ side, path: '', message: String((err as Error)?.message ?? err) }];
  if (err.issues.length === 0) return [{ side, path: '', message: err.message }];
  return err.issues.map((i) => {
    const at = i.indexOf(': ');
    return at === -1 ? { side, path: '', message: i } : { side, path: i.slice(0, at), message: i.slice(at + 2) };
  });
}

function prefixed(prefix: string, extra: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(extra).map(([k, v]) => [`${prefix}${k}`, v]));
}

/** `{"ticket":{…}}` → TicketV1; the legacy fields the mapper carried through are `unmodelled` (`ticket.<key>`). */
export function ticketAnswerToContract(answer: WireAnswer, side: 'legacy' | 'candidate'): ContractSide {
  const root = (answer.json as { ticket?: unknown } | null | undefined)?.ticket;
  if (root === undefined) return { ok: false, issues: [{ side, path: 'ticket', message: 'answer has no `ticket`' }] };
  try {
    const { value, carry } = ticketFromLegacy(root);
    return { ok: true, value, unmodelled: prefixed('ticket.', carry.extra) };
  } catch (err) {
    return { ok: false, issues: issuesOf(err, side) };
  }
}

/** A CRM customer → CustomerV1; unmodelled keys as `customer.<KEY>` and `customer.ADDRESS.<KEY>`. */
export function customerAnswerToContract(answer: WireAnswer, side: 'legacy' | 'candidate'): ContractSide {
  try {
    const { value, carry } = customerFromLegacy(answer.json);
    return {
      ok: true,
      value,
      unmodelled: { ...prefixed('customer.', carry.extra), ...prefixed('customer.ADDRESS.', carry.address.extra) },
    };
  } catch (err) {
    return { ok: false, issues: issuesOf(err, side) };
  }
}

const strict = { comparator: 'strict' } as const;
const set = { comparator: 'set' } as const;
const enumeration = { comparator: 'enum' } as const;
const timestamp = { comparator: 'timestamp' } as const;

/** TicketV1. Text exactly; lists legacy keeps unordered as sets; `customFields` by position as legacy orders them. */
/** Inferred from TicketV1 (enums, timestamps), with the explicit choices below winning. */
export const TICKET_FIELDS: FieldRules = rulesFor(TicketV1Schema, {
  subject: strict,
  rawSubject: strict,
  description: strict,
  type: enumeration,
  priority: enumeration,
  status: enumeration,
  tags: set,
  collaboratorIds: set,
  followerIds: set,
  dueAt: timestamp,
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** TicketCreateV1 / TicketUpdateV1 payloads of `ticket.create` / `ticket.update` effects. */
export const TICKET_WRITE_FIELDS: FieldRules = rulesFor(TicketCreateV1Schema, {
  subject: strict,
  'comment.body': strict,
  type: enumeration,
  priority: enumeration,
  status: enumeration,
  tags: set,
});

export const CUSTOMER_FIELDS: FieldRules = rulesFor(CustomerV1Schema, {
  phone: { comparator: 'phone' },
  creditLimit: { comparator: 'money' },
  status: enumeration,
  createdAt: timestamp,
  lastContactAt: timestamp,
  'address.street': strict,
  'address.city': strict,
  'address.postalCode': strict,
  'address.country': strict,
});

/** AddressChangeV1 payloads of `crm.address` effects. */
export const ADDRESS_CHANGE_FIELDS: FieldRules = {
  street: strict,
  city: strict,
  postalCode: strict,
  country: strict,
};

/** The request body on a write contract; a body the contract cannot read is kept as it is (the diff shows it). */
function payloadOf(body: Buffer | null, map: (v: unknown) => unknown): unknown {
  let parsed: unknown;
  try {
    parsed = parseRequestJson(body);
  } catch {
    return body?.toString('utf8') ?? null;
  }
  try {
    return map(parsed);
  } catch {
    return parsed;
  }
}

const TICKET_PATH = /^\/api\/v2\/tickets\/(\d{1,18})(?:\.json)?$/;
const ADDRESS_PATH = /^\/crm\/customers\/([^/]+)\/address(?:\.json)?$/;

/** The id of the ticket legacy created, from its answer (`{"ticket":{"id":121}}`); null when it does not say. */
function createdId(answer: WireAnswer): string | null {
  const id = (answer.json as { ticket?: { id?: unknown } } | null | undefined)?.ticket?.id;
  return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : null;
}

export const TICKETS_GET_COMPARISON: SliceComparison = {
  contract: 'TicketV1',
  toContract: ticketAnswerToContract,
  fields: TICKET_FIELDS,
};

/**
 * `tickets.create`. The candidate's dry-run effect has no target (legacy assigns the id), legacy's names the new
 * ticket; the comparison pairs them by operation. Bodies are not compared (the candidate's answer is synthesized).
 */
export const TICKETS_CREATE_COMPARISON: SliceComparison = {
  contract: 'TicketV1',
  toContract: ticketAnswerToContract,
  fields: TICKET_FIELDS,
  legacyEffects(request: Request, answer: WireAnswer): Effect[] {
    return [
      {
        system: 'ticketing',
        operation: 'ticket.create',
        target: createdId(answer),
        payload: payloadOf(request.body, (v) => ticketCreateFromLegacy(v).value),
      },
    ];
  },
  effectFields: TICKET_WRITE_FIELDS,
};

export const TICKETS_UPDATE_COMPARISON: SliceComparison = {
  contract: 'TicketV1',
  toContract: ticketAnswerToContract,
  fields: TICKET_FIELDS,
  legacyEffects(request: Request, answer: WireAnswer): Effect[] {
    const id = TICKET_PATH.exec(request.path)?.[1] ?? createdId(answer);
    return [
      {
        system: 'ticketing',
        operation: 'ticket.update',
        target: id ?? null,
        payload: payloadOf(request.body, (v) => ticketUpdateFromLegacy(v).value),
      },
    ];
  },
  effectFields: TICKET_WRITE_FIELDS,
};

export const CUSTOMERS_ADDRESS_COMPARISON: SliceComparison = {
  contract: 'CustomerV1',
  toContract: customerAnswerToContract,
  fields: CUSTOMER_FIELDS,
  legacyEffects(request: Request): Effect[] {
    const id = ADDRESS_PATH.exec(request.path)?.[1];
    return [
      {
        system: 'crm',
        operation: 'crm.address',
        target: id ?? null,
        payload: payloadOf(request.body, (v) => addressChangeFromLegacy(v).value),
      },
    ];
  },
  effectFields: ADDRESS_CHANGE_FIELDS,
};

/** By name, for the shadow runner's comparison worker, which rebuilds a comparison from its name (functions do not cross threads). */
export const ROUTE_COMPARISONS: Readonly<Record<string, SliceComparison>> = {
  TICKETS_GET_COMPARISON,
  TICKETS_CREATE_COMPARISON,
  TICKETS_UPDATE_COMPARISON,
  CUSTOMERS_ADDRESS_COMPARISON,
};
for (const [name, comparison] of Object.entries(ROUTE_COMPARISONS)) nameComparison(`route:${name}`, comparison);
