import { TICKET_ENDPOINTS } from './tickets.js';
import type { ContractEndpoint } from './types.js';

/** Every contract endpoint, by resource. */
export const CONTRACT_ENDPOINTS: readonly ContractEndpoint[] = [...TICKET_ENDPOINTS];
