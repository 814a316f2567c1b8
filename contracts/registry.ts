import { z } from 'zod';
import { AddressChangeV1Schema } from './v1/address-change.js';
import { BotReplyV1Schema, HandoffV1Schema } from './v1/bot-reply.js';
import { ConversationV1Schema, CustomerMessageV1Schema, MessageV1Schema } from './v1/conversation.js';
import { CustomerV1Schema } from './v1/customer.js';
import { OrderStatusV1Schema, OrderV1Schema } from './v1/order.js';
import { PageInfoV1Schema, pageV1Schema } from './v1/page.js';
import { ProblemV1Schema } from './v1/problem.js';
import { TicketV1Schema } from './v1/ticket.js';
import { TicketCreateV1Schema, TicketUpdateV1Schema } from './v1/ticket-write.js';
import { UserV1Schema } from './v1/user.js';
import { BotReplyV2Schema, HandoffV2Schema } from './v2/bot-reply.js';
import { ConversationV2Schema, CustomerMessageV2Schema, MessageV2Schema } from './v2/conversation.js';
import { CustomerV2Schema } from './v2/customer.js';
import { OrderStatusV2Schema, OrderV2Schema } from './v2/order.js';
import { TicketV2Schema } from './v2/ticket.js';
import { TicketCreateV2Schema, TicketUpdateV2Schema } from './v2/ticket-write.js';
import { UserV2Schema } from './v2/user.js';

/** Every contract by version and name; the admin port serves each as JSON Schema. */
export const CONTRACTS = {
  v1: {
    Ticket: TicketV1Schema,
    TicketPage: pageV1Schema(TicketV1Schema),
    PageInfo: PageInfoV1Schema,
    Problem: ProblemV1Schema,
    User: UserV1Schema,
    Customer: CustomerV1Schema,
    Order: OrderV1Schema,
    OrderStatus: OrderStatusV1Schema,
    Message: MessageV1Schema,
    Conversation: ConversationV1Schema,
    CustomerMessage: CustomerMessageV1Schema,
    BotReply: BotReplyV1Schema,
    Handoff: HandoffV1Schema,
    TicketCreate: TicketCreateV1Schema,
    TicketUpdate: TicketUpdateV1Schema,
    AddressChange: AddressChangeV1Schema,
  },
  v2: {
    Ticket: TicketV2Schema,
    TicketPage: pageV1Schema(TicketV2Schema),
    PageInfo: PageInfoV1Schema,
    Problem: ProblemV1Schema,
    User: UserV2Schema,
    Customer: CustomerV2Schema,
    Order: OrderV2Schema,
    OrderStatus: OrderStatusV2Schema,
    Message: MessageV2Schema,
    Conversation: ConversationV2Schema,
    CustomerMessage: CustomerMessageV2Schema,
    BotReply: BotReplyV2Schema,
    Handoff: HandoffV2Schema,
    TicketCreate: TicketCreateV2Schema,
    TicketUpdate: TicketUpdateV2Schema,
    AddressChange: AddressChangeV1Schema,
  },
} as const satisfies Record<string, Record<string, z.ZodType>>;

export type ContractVersion = keyof typeof CONTRACTS;

export function listContracts(): { version: string; name: string }[] {
  return Object.entries(CONTRACTS).flatMap(([version, byName]) =>
    Object.keys(byName).map((name) => ({ version, name })),
  );
}

const cache = new Map<string, unknown>();

/** JSON Schema (draft 2020-12) of one contract, or undefined when unknown. */
export function contractJsonSchema(version: string, name: string): unknown {
  const byName = (CONTRACTS as Record<string, Record<string, z.ZodType>>)[version];
  const schema = byName?.[name];
  if (!schema) return undefined;
  const key = `${version}/${name}`;
  let out = cache.get(key);
  if (out === undefined) {
    out = {
      $id: `urn:gateway:contracts:${version}:${name}`,
      title: `${name} (${version})`,
      ...z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }),
    };
    cache.set(key, out);
  }
  return out;
}
