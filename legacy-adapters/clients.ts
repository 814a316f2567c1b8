import type { Adapters } from '../routes/types.js';
import { createConversationsAdapter } from './conversations.js';
import { createCrmAdapter } from './crm.js';
import { createLegacyHttp, type LegacyHttp } from './http.js';
import { createOrdersAdapter } from './orders-soap.js';
import { createTicketingAdapter } from './ticketing.js';
import { createTicketingUsersAdapter } from './ticketing-users.js';

/** The legacy systems new paths reach through adapters, each with its own pool (DESIGN §2). */
export type LegacySystem = 'ticketing' | 'orders' | 'conversations' | 'crm';

/** What the adapters need of the `legacy` config section (plain data: it also crosses to the comparison worker). */
export interface LegacyClientSettings {
  url: string;
  systems: Partial<Record<LegacySystem, string | undefined>>;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/**
 * One undici pool per legacy system (each may live at its own origin; `legacy.url` otherwise) and the adapters on
 * top. Built once by the gateway (src/compose.ts) and once more by the comparison worker, whose shadow candidates
 * read legacy through pools of their own thread.
 */
export function createLegacyClients(legacy: LegacyClientSettings): {
  http: Record<LegacySystem, LegacyHttp>;
  adapters: Adapters;
} {
  const httpFor = (system: LegacySystem) =>
    createLegacyHttp({
      url: legacy.systems[system] ?? legacy.url,
      system,
      connectTimeoutMs: legacy.connectTimeoutMs,
      headersTimeoutMs: legacy.headersTimeoutMs,
      bodyTimeoutMs: legacy.bodyTimeoutMs,
    });
  const http = {
    ticketing: httpFor('ticketing'),
    orders: httpFor('orders'),
    conversations: httpFor('conversations'),
    crm: httpFor('crm'),
  };
  return {
    http,
    adapters: {
      ticketing: createTicketingAdapter(http.ticketing),
      users: createTicketingUsersAdapter(http.ticketing),
      crm: createCrmAdapter(http.crm),
      orders: createOrdersAdapter(http.orders),
      conversations: createConversationsAdapter(http.conversations),
    },
  };
}
