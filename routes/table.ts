import { getTicket } from './tickets-get.js';
import type { RouteSpec } from './types.js';

/**
 * The route table: every method+path a migration slice may move. Anything not listed here is proxied to legacy
 * untouched. Patterns only match canonical paths (see src/pipeline/router.ts), so encoded or dot-segment variants
 * stay with legacy.
 */
export const ROUTE_TABLE: readonly RouteSpec[] = [
  {
    id: 'tickets.get',
    slice: 'tickets.get',
    method: 'GET',
    paths: ['/api/v2/tickets/:id(^\\d{1,18})', '/api/v2/tickets/:id(^\\d{1,18}).json'],
    context: (req, base) => ({ ...base, resourceId: req.params.id as string }),
    deadlineMs: 1_500,
    readsBody: false,
    write: false,
    handler: getTicket,
    description: 'Read one ticket through the ticketing adapter, mapped onto TicketV1 and rendered back.',
  },
];
