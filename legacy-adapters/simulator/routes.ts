/** The platform's route table (everything but the control plane), compiled once per simulator. */
import { listMessages, postHandoff, postMessage, showHandoff } from './conversations.js';
import { showCustomer, updateAddress } from './crm.js';
import { echo } from './echo.js';
import { type Ctx, sendJson } from './http-util.js';
import type { RouteDef } from './router.js';
import { orderService, orderServiceGet } from './soap-orders.js';
import { blob, streamEvents, upload } from './streaming.js';
import { listTickets } from './ticket-lists.js';
import { createTicket, deleteTicket, showTicket, updateTicket } from './tickets.js';
import { listUsers, showUser } from './users.js';

function presenceWithoutUpgrade(ctx: Ctx): void {
  sendJson(
    ctx,
    426,
    { error: 'UpgradeRequired', description: 'This endpoint requires a WebSocket upgrade' },
    { headers: { Upgrade: 'websocket', Connection: 'Upgrade' } },
  );
}

export const PLATFORM_ROUTES: readonly RouteDef[] = [
  { methods: ['GET'], pattern: '/api/v2/tickets', json: true, handler: listTickets },
  { methods: ['POST'], pattern: '/api/v2/tickets', json: true, body: 'handler', handler: createTicket },
  { methods: ['GET'], pattern: '/api/v2/tickets/:id', json: true, handler: showTicket },
  { methods: ['PUT', 'PATCH'], pattern: '/api/v2/tickets/:id', json: true, body: 'handler', handler: updateTicket },
  { methods: ['DELETE'], pattern: '/api/v2/tickets/:id', json: true, handler: deleteTicket },
  { methods: ['GET'], pattern: '/api/v2/users', json: true, handler: listUsers },
  { methods: ['GET'], pattern: '/api/v2/users/:id', json: true, handler: showUser },
  { methods: ['GET'], pattern: '/api/v2/conversations/:id/messages', json: true, handler: listMessages },
  {
    methods: ['POST'],
    pattern: '/api/v2/conversations/:id/messages',
    json: true,
    body: 'handler',
    handler: postMessage,
  },
  {
    methods: ['POST'],
    pattern: '/api/v2/conversations/:id/handoff',
    json: true,
    body: 'handler',
    handler: postHandoff,
  },
  { methods: ['GET'], pattern: '/api/v2/handoffs/:id', json: true, handler: showHandoff },
  { methods: ['GET'], pattern: '/api/v2/stream/events', json: true, handler: streamEvents },
  { methods: ['GET'], pattern: '/api/v2/attachments/blob', json: true, handler: blob },
  { methods: ['POST'], pattern: '/api/v2/uploads', json: true, body: 'handler', handler: upload },
  { methods: ['GET'], pattern: '/api/v2/presence', json: true, handler: presenceWithoutUpgrade },
  { methods: ['*'], pattern: '/api/v2/echo/*', body: 'handler', handler: echo },
  { methods: ['GET'], pattern: '/crm/customers/:id', json: true, handler: showCustomer },
  { methods: ['PUT'], pattern: '/crm/customers/:id/address', json: true, body: 'handler', handler: updateAddress },
  { methods: ['GET'], pattern: '/soap/OrderService', handler: orderServiceGet },
  { methods: ['POST'], pattern: '/soap/OrderService', body: 'handler', handler: orderService },
];
