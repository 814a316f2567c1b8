import { MappingError } from '../mappers/mapping-error.js';
import { renderTicketResponse, ticketFromLegacy } from '../mappers/ticket.js';
import type { HandlerContext, NewHandler, NewResponse, SliceRequest } from './types.js';

/** Legacy response headers a client of `GET /api/v2/tickets/{id}` may rely on; relayed as they are. */
const RELAYED = [
  'content-type',
  'etag',
  'last-modified',
  'cache-control',
  'x-rate-limit',
  'x-rate-limit-remaining',
  'retry-after',
];

function relayHeaders(src: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RELAYED) {
    const v = src[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/**
 * Modern `GET /api/v2/tickets/{id}`: reads through the ticketing adapter, maps onto TicketV1 (validated), and renders
 * the legacy wire format back (same keys, same order, unmodelled fields carried through). Legacy's non-2xx answers
 * are relayed as they are; a 5xx becomes a `status_5xx` fallback in the pipeline.
 */
export const getTicket: NewHandler = async (req: SliceRequest, ctx: HandlerContext): Promise<NewResponse> => {
  const id = req.params.id as string;
  const { response, json } = await ctx.adapters.ticketing.getTicket(id, {
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  const headers = relayHeaders(response.headers);
  if (json === undefined) return { status: response.status, headers, body: response.body };
  const root = (json as { ticket?: unknown } | null)?.ticket;
  if (root === undefined) throw new MappingError('ticketing answer has no `ticket` root key');
  const { value, carry } = ticketFromLegacy(root);
  if (carry.gaps.length) ctx.recordGaps(carry.gaps);
  return { status: response.status, headers, body: renderTicketResponse(value, carry) };
};
