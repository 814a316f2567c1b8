import { addressToLegacy, customerFromLegacy } from '../../mappers/customer.js';
import { orderFromLegacy } from '../../mappers/order.js';
import type { KnowledgeBase } from '../../src/ai/kb.js';
import { GatewayError } from '../../src/errors.js';
import type { Adapters } from '../types.js';
import type { Session, ToolName, Tools } from './types.js';

export interface ToolDeps {
  adapters: Adapters;
  kb: KnowledgeBase;
  timeZone: string;
  signal: AbortSignal;
  headers: Record<string, string>;
  recordGaps(paths: readonly string[]): void;
}

/**
 * Builds exactly the allowlisted tools, bound to the session. The allowlist is the handler's own constant: no
 * argument here comes from customer text or model output, so an injection cannot widen it. Dry runs get no writes.
 */
export function buildTools(allow: readonly ToolName[], session: Session, deps: ToolDeps, dryRun: boolean): Tools {
  const tools: Tools = {};
  const call = { signal: deps.signal, headers: deps.headers };
  const crmId = session.crmCustomerId;
  const readCustomer = async () => {
    if (crmId === null)
      throw new GatewayError('GW_NO_SESSION_CUSTOMER', 403, 'conversation is not linked to a customer', {
        expose: true,
      });
    const { response, json } = await deps.adapters.crm.getCustomer(String(crmId), call);
    if (json === undefined)
      throw new GatewayError('GW_LEGACY_STATUS', 502, `crm answered ${response.status}`, {
        target: 'legacy',
        system: 'crm',
      });
    const mapped = customerFromLegacy(json, { timeZone: deps.timeZone });
    deps.recordGaps(mapped.carry.gaps);
    return mapped.value;
  };
  for (const name of allow) {
    switch (name) {
      case 'getOrder':
        tools.getOrder = async (orderId) => {
          let order: Record<string, unknown>;
          try {
            ({ order } = await deps.adapters.orders.getOrderStatus(orderId, call));
          } catch (err) {
            if (err instanceof GatewayError && err.statusCode === 404) return null;
            throw err;
          }
          const mapped = orderFromLegacy(order, { timeZone: deps.timeZone });
          deps.recordGaps(mapped.carry.gaps);
          // Another customer's order is "not found": no data crosses sessions.
          return crmId !== null && mapped.value.customerId === crmId ? mapped.value : null;
        };
        break;
      case 'getCustomer':
        tools.getCustomer = readCustomer;
        break;
      case 'updateAddress':
        if (dryRun) break;
        tools.updateAddress = async (address, idempotencyKey) => {
          if (crmId === null)
            throw new GatewayError('GW_NO_SESSION_CUSTOMER', 403, 'conversation is not linked to a customer', {
              expose: true,
            });
          const { response, json } = await deps.adapters.crm.updateAddress(String(crmId), addressToLegacy(address), {
            ...call,
            idempotencyKey,
          });
          if (json === undefined)
            throw new GatewayError('GW_LEGACY_STATUS', 502, `crm answered ${response.status}`, {
              target: 'legacy',
              system: 'crm',
            });
          return customerFromLegacy(json, { timeZone: deps.timeZone }).value;
        };
        break;
      case 'searchKnowledgeBase':
        tools.searchKnowledgeBase = (q) => deps.kb.search(q, 3);
        break;
    }
  }
  return tools;
}
