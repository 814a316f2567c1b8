import type { z } from 'zod';
import {
  type TicketCreateV1,
  TicketCreateV1Schema,
  type TicketUpdateV1,
  TicketUpdateV1Schema,
} from '../contracts/v1/ticket-write.js';
import { MAX_NESTING, nestedTooDeep, putOwn } from './common.js';
import { type Carry, type Mapped, MappingError } from './mapping-error.js';

/**
 * Ticket write requests: legacy body `{"ticket":{subject, comment:{body}, priority, type, status, requester_id,
 * external_id, tags, custom_fields}}` ↔ TicketCreateV1 / TicketUpdateV1. Pure. A key the contract does not model is a
 * MappingError, never carried through: a request the new path does not fully understand is legacy's to answer. The
 * carry keeps the client's key order, so a request renders back to the same JSON.
 */
const FIELDS = [
  ['subject', 'subject'],
  ['comment', 'comment'],
  ['priority', 'priority'],
  ['type', 'type'],
  ['status', 'status'],
  ['requester_id', 'requesterId'],
  ['external_id', 'externalId'],
  ['tags', 'tags'],
  ['custom_fields', 'customFields'],
] as const satisfies ReadonlyArray<readonly [string, keyof TicketUpdateV1 & keyof TicketCreateV1]>;

const TO_CONTRACT = new Map<string, string>(FIELDS);
const TO_LEGACY = new Map<string, string>(FIELDS.map(([l, c]) => [c, l]));
const CANONICAL_ORDER = FIELDS.map(([l]) => l);

/** A client's request body the new path does not model (bad JSON, unknown keys, values outside the contract). */
export class RequestBodyError extends MappingError {
  constructor(message: string, issues: string[] = []) {
    super(message, issues);
    this.name = 'RequestBodyError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The client's JSON body as legacy reads it: an empty body is `{}` (as the simulator and Zendesk read it); bytes that
 * are not UTF-8 JSON are a RequestBodyError (legacy answers those with its own 400).
 */
export function parseRequestJson(body: Buffer | null): unknown {
  if (body === null || body.length === 0) return {};
  try {
    return JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new RequestBodyError('request body is not UTF-8 JSON', [(err as Error).message]);
  }
}

/** Whether `rendered` is the client's JSON exactly (so the client's own bytes can go to legacy as they are). */
export function sameJson(parsed: unknown, rendered: unknown): boolean {
  return JSON.stringify(parsed) === JSON.stringify(rendered);
}

function mapTicketBody<T>(payload: unknown, schema: z.ZodType<T>, what: string): Mapped<T> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new RequestBodyError('request body is not an object');
  if (nestedTooDeep(payload)) throw new RequestBodyError(`request body is nested more than ${MAX_NESTING} levels deep`);
  const body = payload as Record<string, unknown>;
  const unknownTop = Object.keys(body).filter((k) => k !== 'ticket');
  const src = body.ticket;
  if (typeof src !== 'object' || src === null || Array.isArray(src))
    throw new RequestBodyError('request body has no `ticket` object');
  const ticket = src as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const issues = unknownTop.map((k) => `${k}: not modelled by ${what}`);
  for (const key of Object.keys(ticket)) {
    const target = TO_CONTRACT.get(key);
    if (target) out[target] = ticket[key];
    else issues.push(`ticket.${key}: not modelled by ${what}`);
  }
  const parsed = schema.safeParse(out);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const [head, ...rest] = i.path.map(String);
      issues.push(`ticket.${[TO_LEGACY.get(head ?? '') ?? head, ...rest].join('.')}: ${i.message}`);
    }
  }
  if (issues.length > 0) throw new RequestBodyError(`request body does not match ${what}`, issues);
  // No transforms in these contracts: the validated input is the value, and keeps the client's nested key order.
  return { value: out as T, carry: { order: Object.keys(ticket), extra: {}, gaps: [] } };
}

function render(value: Record<string, unknown>, carry: Carry | undefined): { ticket: Record<string, unknown> } {
  const ticket: Record<string, unknown> = {};
  for (const key of [...(carry?.order ?? []), ...CANONICAL_ORDER]) {
    const c = TO_CONTRACT.get(key);
    if (c !== undefined && Object.hasOwn(value, c) && !Object.hasOwn(ticket, key)) putOwn(ticket, key, value[c]);
  }
  return { ticket };
}

/** Legacy `POST /api/v2/tickets` body → TicketCreateV1. Throws RequestBodyError (a MappingError) only. */
export function ticketCreateFromLegacy(payload: unknown): Mapped<TicketCreateV1> {
  return mapTicketBody(payload, TicketCreateV1Schema, 'TicketCreateV1');
}

/** Legacy `PUT|PATCH /api/v2/tickets/{id}` body → TicketUpdateV1. Throws RequestBodyError (a MappingError) only. */
export function ticketUpdateFromLegacy(payload: unknown): Mapped<TicketUpdateV1> {
  return mapTicketBody(payload, TicketUpdateV1Schema, 'TicketUpdateV1');
}

/** TicketCreateV1 → legacy request body, in the client's key order when a carry is given. */
export function ticketCreateToLegacy(t: TicketCreateV1, carry?: Carry): { ticket: Record<string, unknown> } {
  return render(t, carry);
}

/** TicketUpdateV1 → legacy request body, in the client's key order when a carry is given. */
export function ticketUpdateToLegacy(t: TicketUpdateV1, carry?: Carry): { ticket: Record<string, unknown> } {
  return render(t, carry);
}
