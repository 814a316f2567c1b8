import type { CrmAddressBody } from '../../legacy-adapters/crm.js';
import type { LegacyResponse } from '../../legacy-adapters/http.js';
import type { TicketWriteBody } from '../../legacy-adapters/ticketing.js';
import { addressChangeFromLegacy } from '../../mappers/address.js';
import { handoffFromLegacy } from '../../mappers/bot-reply.js';
import { customerMessageFromLegacy } from '../../mappers/conversation.js';
import { ticketCreateFromLegacy, ticketUpdateFromLegacy } from '../../mappers/ticket-write.js';
import type { Adapters } from '../../routes/types.js';
import type { Effect } from './types.js';

/**
 * Adapters for shadow runs of write slices. Reads go to legacy as usual (a candidate needs real data to decide; a
 * read of the client's own request may be answered with legacy's answer to it, src/shadow/primed.ts);
 * writes never leave the process: each records the Effect it would have had (payload on the slice's contract where
 * one exists) and answers with a synthesized legacy-style success.
 *
 * The guarantee is structural, not a flag: the returned object is built from the real adapters' read methods only
 * (bound one by one), and its write methods are local functions with no reference to legacy, so no code path from a
 * write can reach the network. A read method added to an adapter interface must be listed here (the compiler insists);
 * a write method added to one must be given a recording stand-in (likewise).
 */
export function createDryRunAdapters(real: Adapters, effects: Effect[]): Adapters {
  const { ticketing, users, crm, orders, conversations } = real;
  const record = (effect: Effect) => {
    effects.push(effect);
  };
  return Object.freeze({
    ticketing: Object.freeze({
      origin: ticketing.origin,
      getTicket: ticketing.getTicket.bind(ticketing),
      listTickets: ticketing.listTickets.bind(ticketing),
      async createTicket(body: TicketWriteBody) {
        const raw = legacyValue(body);
        record({
          system: 'ticketing',
          operation: 'ticket.create',
          target: null,
          payload: onContract(raw, (v) => ticketCreateFromLegacy(v).value),
        });
        return { ...answer(201, ZENDESK_JSON, { ticket: { id: null, ...ticketOf(raw) } }), replayed: false };
      },
      async updateTicket(id: string, body: TicketWriteBody) {
        const raw = legacyValue(body);
        record({
          system: 'ticketing',
          operation: 'ticket.update',
          target: id,
          payload: onContract(raw, (v) => ticketUpdateFromLegacy(v).value),
        });
        const numeric = /^\d{1,15}$/.test(id) ? Number(id) : id;
        return { ...answer(200, ZENDESK_JSON, { ticket: { id: numeric, ...ticketOf(raw) } }), replayed: false };
      },
    }),
    users: Object.freeze({ origin: users.origin, getUser: users.getUser.bind(users) }),
    crm: Object.freeze({
      origin: crm.origin,
      getCustomer: crm.getCustomer.bind(crm),
      async updateAddress(id: string, address: CrmAddressBody) {
        const body = { ADDRESS: address };
        record({
          system: 'crm',
          operation: 'crm.address',
          target: id,
          payload: onContract(body, (v) => addressChangeFromLegacy(v).value),
        });
        return { ...answer(200, CRM_JSON, { CUSTOMER_ID: id, ADDRESS: address }), replayed: false };
      },
    }),
    orders: Object.freeze({ origin: orders.origin, getOrderStatus: orders.getOrderStatus.bind(orders) }),
    conversations: Object.freeze({
      origin: conversations.origin,
      listMessages: conversations.listMessages.bind(conversations),
      async postMessage(conversationId: string, body: object | string | Buffer) {
        const raw = legacyValue(body);
        record({
          system: 'conversations',
          // The message id is legacy's to assign; the conversation is what the write goes to.
          operation: 'conversation.message',
          target: conversationId,
          payload: onContract(raw, (v) => customerMessageFromLegacy(v, { conversationId }).value),
        });
        const message = (raw as { message?: Record<string, unknown> } | null)?.message ?? {};
        const posted = { id: null, conversation_id: conversationId, received: null, ...message };
        return answer(201, ZENDESK_JSON, { messages: [posted] });
      },
      async deliverHandoff(conversationId: string, handoff: object) {
        record({
          system: 'conversations',
          operation: 'handoff.create',
          target: null,
          payload: onContract(handoff, (v) => handoffFromLegacy(v, { conversationId }).value),
        });
        const receipt = { id: 'dry-run', status: 'queued', queue_position: 0 };
        const { response } = answer(202, ZENDESK_JSON, { handoff: receipt });
        return { id: receipt.id, status: receipt.status, queuePosition: 0, replayed: false, response };
      },
    }),
  });
}

const ZENDESK_JSON = 'application/json; charset=utf-8';
const CRM_JSON = 'application/json;charset=UTF-8';

function answer(status: number, contentType: string, json: unknown): { response: LegacyResponse; json: unknown } {
  const body = Buffer.from(JSON.stringify(json));
  return {
    response: {
      status,
      headers: { 'content-type': contentType, 'content-length': String(body.length), 'x-gateway-dry-run': '1' },
      body,
    },
    json,
  };
}

/** A write's legacy body as a value: bytes and strings are the client's JSON. */
function legacyValue(body: object | string | Buffer): unknown {
  if (typeof body !== 'string' && !Buffer.isBuffer(body)) return body;
  try {
    return JSON.parse(body.toString());
  } catch {
    return body.toString();
  }
}

/** The payload on the contract; a body the contract cannot read is recorded as it is, so the diff shows it. */
function onContract(raw: unknown, map: (v: unknown) => unknown): unknown {
  try {
    return map(raw);
  } catch {
    return raw;
  }
}

function ticketOf(raw: unknown): Record<string, unknown> {
  const t = (raw as { ticket?: unknown } | null)?.ticket;
  return typeof t === 'object' && t !== null && !Array.isArray(t) ? (t as Record<string, unknown>) : {};
}
