import { createHash } from 'node:crypto';
import type { LegacyResponse } from '../legacy-adapters/http.js';
import { ticketFromLegacy } from '../mappers/ticket.js';
import {
  parseRequestJson,
  RequestBodyError,
  sameJson,
  ticketCreateFromLegacy,
  ticketCreateToLegacy,
  ticketUpdateFromLegacy,
  ticketUpdateToLegacy,
} from '../mappers/ticket-write.js';
import type { HandlerContext, NewHandler, NewResponse, SliceRequest } from './types.js';

/**
 * Modern ticket writes: `POST /api/v2/tickets` (slice `tickets.create`) and `PUT|PATCH /api/v2/tickets/{id}` (slice
 * `tickets.update`). The client's body is read onto TicketCreateV1 / TicketUpdateV1 first; a body the contract does
 * not model throws a RequestBodyError before anything is written, so the pipeline lets legacy answer it in its own
 * words. Then commit, one adapter write under an Idempotency-Key, and legacy's answer relayed as it is (status, JSON
 * bytes, Location): after the write nothing may fail the request, so the answer is never re-rendered.
 */

/** Legacy response headers a client of a write may rely on. */
const RELAYED = [
  'content-type',
  'location',
  'content-location',
  'x-rate-limit',
  'x-rate-limit-remaining',
  'retry-after',
];

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;

/**
 * The client's JSON body. Only a JSON content type is served by the new path (the adapter always sends
 * `application/json`, so serving anything else would accept what legacy might refuse).
 */
export function readClientJson(req: SliceRequest): unknown {
  const type = req.headers['content-type'];
  if (typeof type !== 'string' || !JSON_TYPE.test(type))
    throw new RequestBodyError('request content type is not JSON', [`content-type: ${String(type ?? '(none)')}`]);
  return parseRequestJson(req.body);
}

/**
 * The Idempotency-Key of a write: the client's own when it sent one, else one derived from the gateway's request id
 * and a digest of the request, so the same request retried under the same `x-request-id` never writes twice, and two
 * different requests that happen to share a client-chosen request id never collide.
 */
export function idempotencyKeyFor(req: SliceRequest): { key: string; fromClient: boolean } {
  const given = req.headers['idempotency-key'];
  if (typeof given === 'string' && given.trim() !== '') return { key: given, fromClient: true };
  const digest = createHash('sha256')
    .update(`${req.method} ${req.path}\n`)
    .update(req.body ?? Buffer.alloc(0))
    .digest('hex')
    .slice(0, 16);
  return { key: `gw-${req.requestId}-${digest}`, fromClient: false };
}

/**
 * Legacy's answer to a write, as legacy gave it. `x-idempotency-lookup` only when the client sent its own key (a
 * client that sent none would never see it from legacy directly).
 */
export function relayWrite(response: LegacyResponse, keyFromClient: boolean): NewResponse {
  const headers: Record<string, string> = {};
  for (const name of RELAYED) {
    const v = response.headers[name];
    if (typeof v === 'string') headers[name] = v;
  }
  const lookup = response.headers['x-idempotency-lookup'];
  if (keyFromClient && typeof lookup === 'string') headers['x-idempotency-lookup'] = lookup;
  return { status: response.status, headers, body: response.body };
}

/** Legacy ticket fields the contract does not model, as mapping-gap metrics. Never throws: the write is done. */
function noteGaps(json: unknown, ctx: HandlerContext): void {
  try {
    const { carry } = ticketFromLegacy((json as { ticket?: unknown } | null)?.ticket);
    if (carry.gaps.length) ctx.recordGaps(carry.gaps);
  } catch {
    // Legacy's answer is relayed as it is; whether it matches TicketV1 is the shadow comparison's business.
  }
}

/** The client's bytes when the contract renders them back unchanged (legacy's Idempotency-Key fingerprint is on bytes). */
function wireBody(raw: Buffer | null, parsed: unknown, rendered: object): Buffer | string {
  return raw !== null && sameJson(parsed, rendered) ? raw : JSON.stringify(rendered);
}

export const createTicket: NewHandler = async (req: SliceRequest, ctx: HandlerContext): Promise<NewResponse> => {
  const parsed = readClientJson(req);
  const { value, carry } = ticketCreateFromLegacy(parsed);
  const body = wireBody(req.body, parsed, ticketCreateToLegacy(value, carry));
  const { key, fromClient } = idempotencyKeyFor(req);
  ctx.commit();
  const { response, json } = await ctx.adapters.ticketing.createTicket(body, {
    idempotencyKey: key,
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  if (json !== undefined) noteGaps(json, ctx);
  return relayWrite(response, fromClient);
};

export const updateTicket: NewHandler = async (req: SliceRequest, ctx: HandlerContext): Promise<NewResponse> => {
  const id = req.params.id as string;
  const parsed = readClientJson(req);
  const { value, carry } = ticketUpdateFromLegacy(parsed);
  const body = wireBody(req.body, parsed, ticketUpdateToLegacy(value, carry));
  const { key, fromClient } = idempotencyKeyFor(req);
  ctx.commit();
  const { response, json } = await ctx.adapters.ticketing.updateTicket(id, body, {
    method: req.method === 'PATCH' ? 'PATCH' : 'PUT',
    idempotencyKey: key,
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  if (json !== undefined) noteGaps(json, ctx);
  return relayWrite(response, fromClient);
};
