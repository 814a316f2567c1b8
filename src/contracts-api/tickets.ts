import { z } from 'zod';
import { pageV1Schema } from '../../contracts/v1/page.js';
import { type TicketV1, TicketV1Schema } from '../../contracts/v1/ticket.js';
import { TicketV2Schema, upgradeTicket } from '../../contracts/v2/ticket.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { ticketFromLegacy } from '../../mappers/ticket.js';
import { NoQuery, legacyStatusError as sharedStatusError } from './shared.js';
import type { ContractContext, ContractEndpoint } from './types.js';

const IdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict();
const ListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).max(512).optional(),
  })
  .strict();
const legacyStatusError = (status: number) => sharedStatusError(status, 'ticketing', 'ticket');

async function readTicket(id: number, ctx: ContractContext): Promise<TicketV1> {
  const { response, json } = await ctx.adapters.ticketing.getTicket(String(id), {
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  if (json === undefined) throw legacyStatusError(response.status);
  const root = (json as { ticket?: unknown } | null)?.ticket;
  if (root === undefined) throw new MappingError('ticketing answer has no `ticket` root key');
  const { value, carry } = ticketFromLegacy(root);
  ctx.recordGaps(carry.gaps);
  return value;
}

async function readPage(query: z.infer<typeof ListQuery>, ctx: ContractContext) {
  const { response, json } = await ctx.adapters.ticketing.listTickets(
    { size: query.limit, after: query.cursor },
    { signal: ctx.signal, headers: ctx.forwardHeaders },
  );
  if (json === undefined) throw legacyStatusError(response.status);
  const doc = json as {
    tickets?: unknown;
    meta?: { has_more?: unknown; after_cursor?: unknown; before_cursor?: unknown };
  };
  if (!Array.isArray(doc.tickets) || typeof doc.meta?.has_more !== 'boolean')
    throw new MappingError('ticketing page has no tickets/meta');
  const items = doc.tickets.map((t, i) => {
    const { value, carry } = ticketFromLegacy(t, `tickets.${i}`);
    ctx.recordGaps(carry.gaps);
    return value;
  });
  const cursor = (c: unknown) => (typeof c === 'string' && c !== '' ? c : null);
  return {
    items,
    page: {
      hasMore: doc.meta.has_more,
      nextCursor: doc.meta.has_more ? cursor(doc.meta.after_cursor) : null,
      prevCursor: query.cursor ? cursor(doc.meta.before_cursor) : null,
    },
  };
}

export const TICKET_ENDPOINTS: ContractEndpoint[] = [
  {
    id: 'contracts.v1.tickets.get',
    method: 'GET',
    version: 'v1',
    path: '/tickets/:id',
    params: IdParams,
    query: NoQuery,
    response: TicketV1Schema,
    handle: async ({ params }, ctx) => ({
      status: 200,
      body: await readTicket((params as z.infer<typeof IdParams>).id, ctx),
    }),
  },
  {
    id: 'contracts.v2.tickets.get',
    method: 'GET',
    version: 'v2',
    path: '/tickets/:id',
    params: IdParams,
    query: NoQuery,
    response: TicketV2Schema,
    handle: async ({ params }, ctx) => ({
      status: 200,
      body: upgradeTicket(await readTicket((params as z.infer<typeof IdParams>).id, ctx)),
    }),
  },
  {
    id: 'contracts.v1.tickets.list',
    method: 'GET',
    version: 'v1',
    path: '/tickets',
    params: z.object({}).strict(),
    query: ListQuery,
    response: pageV1Schema(TicketV1Schema),
    handle: async ({ query }, ctx) => ({ status: 200, body: await readPage(query as z.infer<typeof ListQuery>, ctx) }),
  },
  {
    id: 'contracts.v2.tickets.list',
    method: 'GET',
    version: 'v2',
    path: '/tickets',
    params: z.object({}).strict(),
    query: ListQuery,
    response: pageV1Schema(TicketV2Schema),
    handle: async ({ query }, ctx) => {
      const page = await readPage(query as z.infer<typeof ListQuery>, ctx);
      return { status: 200, body: { ...page, items: page.items.map(upgradeTicket) } };
    },
  },
];
