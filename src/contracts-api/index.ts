import { CONVERSATION_ENDPOINTS } from './conversations.js';
import { createOrderEndpoints } from './orders.js';
import { createPeopleEndpoints } from './people.js';
import { TICKET_ENDPOINTS } from './tickets.js';
import type { ContractEndpoint } from './types.js';

/** Every contract endpoint, by resource. */
export function contractEndpoints(opts: { timeZone: string }): ContractEndpoint[] {
  return [
    ...TICKET_ENDPOINTS,
    ...createOrderEndpoints(opts),
    ...createPeopleEndpoints(opts),
    ...CONVERSATION_ENDPOINTS,
  ];
}
