import type { Adapters } from '../routes/types.js';
import { createConversationsAdapter } from './conversations.js';
import { createCrmAdapter } from './crm.js';
import { createLegacyHttp, type LegacyHttp, type PrimedRead, withPrimedRead } from './http.js';
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
  /** The same adapters, except that a read of the primed request is answered with its answer (a shadow candidate). */
  primedAdapters(read: PrimedRead, onHit: () => void): Adapters;
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
    adapters: adaptersOver(http),
    primedAdapters(read, onHit) {
      const primed = (h: LegacyHttp) => withPrimedRead(h, read, onHit);
      return adaptersOver({
        ticketing: primed(http.ticketing),
        orders: primed(http.orders),
        conversations: primed(http.conversations),
        crm: primed(http.crm),
      });
    },
  };
}

function adaptersOver(http: Record<LegacySystem, LegacyHttp>): Adapters {
  return {
    ticketing: createTicketingAdapter(http.ticketing),
    users: createTicketingUsersAdapter(http.ticketing),
    crm: createCrmAdapter(http.crm),
    orders: createOrdersAdapter(http.orders),
    conversations: createConversationsAdapter(http.conversations),
  };
}
