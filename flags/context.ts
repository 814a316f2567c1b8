import type { Context as UnleashContext } from 'unleash-client';

/** What a route knows about a request, for flag evaluation. Built per request by the route's context builder. */
export interface FlagContext {
  tenant?: string;
  channel?: string;
  region?: string;
  customerId?: string;
  conversationId?: string;
  intent?: string;
  /** The resource the request is about (e.g. the ticket id); stickiness falls back to it. */
  resourceId?: string;
}

/**
 * Unleash context mapping (DESIGN §4): userId = customerId, sessionId = conversationId or the resource id, the rest
 * in properties for constraints. Unleash's `default` stickiness (userId → sessionId → random) then keeps a customer,
 * or a conversation, on one side.
 */
export function toUnleashContext(ctx: FlagContext): UnleashContext {
  const out: UnleashContext = {};
  if (ctx.customerId !== undefined) out.userId = ctx.customerId;
  const session = ctx.conversationId ?? ctx.resourceId;
  if (session !== undefined) out.sessionId = session;
  const properties: Record<string, string> = {};
  if (ctx.tenant !== undefined) properties.tenant = ctx.tenant;
  if (ctx.channel !== undefined) properties.channel = ctx.channel;
  if (ctx.region !== undefined) properties.region = ctx.region;
  if (ctx.intent !== undefined) properties.intent = ctx.intent;
  if (ctx.customerId !== undefined) properties.customerId = ctx.customerId;
  if (ctx.conversationId !== undefined) properties.conversationId = ctx.conversationId;
  out.properties = properties;
  return out;
}
