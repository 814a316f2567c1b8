import { nameRoutes } from '../src/shadow/remote-routes.js';
import {
  CUSTOMERS_ADDRESS_COMPARISON,
  TICKETS_CREATE_COMPARISON,
  TICKETS_GET_COMPARISON,
  TICKETS_UPDATE_COMPARISON,
} from './comparisons.js';
import { updateCustomerAddress } from './customer-address.js';
import { getTicket } from './tickets-get.js';
import { createTicket, updateTicket } from './tickets-write.js';
import type { RouteSpec } from './types.js';

const TICKET_ID_PATHS = ['/api/v2/tickets/:id(^\\d{1,18})', '/api/v2/tickets/:id(^\\d{1,18}).json'];

/** `PUT` and `PATCH` of a ticket are one slice (legacy treats them alike); a RouteSpec has one method, hence two rows. */
const ticketUpdate = (method: 'PUT' | 'PATCH', id: string): RouteSpec => ({
  id,
  slice: 'tickets.update',
  method,
  paths: TICKET_ID_PATHS,
  context: (req, base) => ({ ...base, resourceId: req.params.id as string }),
  deadlineMs: 3_000,
  readsBody: true,
  write: true,
  handler: updateTicket,
  description: `${method} one ticket: the body read onto TicketUpdateV1, one idempotent ticketing write, legacy's answer relayed.`,
  comparison: TICKETS_UPDATE_COMPARISON,
});

/**
 * The route table: every method+path a migration slice may move. Anything not listed here is proxied to legacy
 * untouched. Patterns only match canonical paths (see src/pipeline/router.ts), so encoded or dot-segment variants
 * stay with legacy.
 */
export const ROUTE_TABLE: readonly RouteSpec[] = nameRoutes(
  [
    {
      id: 'tickets.get',
      slice: 'tickets.get',
      method: 'GET',
      paths: TICKET_ID_PATHS,
      context: (req, base) => ({ ...base, resourceId: req.params.id as string }),
      deadlineMs: 1_500,
      readsBody: false,
      write: false,
      handler: getTicket,
      description: 'Read one ticket through the ticketing adapter, mapped onto TicketV1 and rendered back.',
      comparison: TICKETS_GET_COMPARISON,
    },
    {
      id: 'tickets.create',
      slice: 'tickets.create',
      method: 'POST',
      paths: ['/api/v2/tickets', '/api/v2/tickets.json'],
      context: (_req, base) => base,
      deadlineMs: 3_000,
      readsBody: true,
      write: true,
      handler: createTicket,
      description:
        "Create a ticket: the body read onto TicketCreateV1, one idempotent ticketing write, legacy's answer relayed.",
      comparison: TICKETS_CREATE_COMPARISON,
    },
    ticketUpdate('PUT', 'tickets.update'),
    ticketUpdate('PATCH', 'tickets.update.patch'),
    {
      id: 'customers.address',
      slice: 'customers.address',
      method: 'PUT',
      paths: ['/crm/customers/:id(^\\d{1,18})/address', '/crm/customers/:id(^\\d{1,18})/address.json'],
      context: (req, base) => ({ ...base, resourceId: req.params.id as string }),
      deadlineMs: 3_000,
      readsBody: true,
      write: true,
      handler: updateCustomerAddress,
      description:
        "Change a customer's address: the body read onto AddressChangeV1, one idempotent CRM write, the CRM's answer relayed.",
      comparison: CUSTOMERS_ADDRESS_COMPARISON,
    },
  ],
  // The comparison worker loads this table too, and runs shadow candidates of its routes there.
  { module: import.meta.url, export: 'ROUTE_TABLE' },
);
