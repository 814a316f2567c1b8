import type { IncomingHttpHeaders } from 'node:http';
import type { FlagContext } from '../flags/context.js';
import type { ConversationsAdapter } from '../legacy-adapters/conversations.js';
import type { CrmAdapter } from '../legacy-adapters/crm.js';
import type { OrdersAdapter } from '../legacy-adapters/orders-soap.js';
import type { TicketingAdapter } from '../legacy-adapters/ticketing.js';
import type { TicketingUsersAdapter } from '../legacy-adapters/ticketing-users.js';
import type { SliceComparison } from '../src/shadow/types.js';

/** The legacy adapters new handlers and contract endpoints may use (their tools), one per legacy system. */
export interface Adapters {
  ticketing: TicketingAdapter;
  users: TicketingUsersAdapter;
  crm: CrmAdapter;
  orders: OrdersAdapter;
  conversations: ConversationsAdapter;
}

/** What a new handler sees of a request: parsed, with the body buffered (capped) when the route reads it. */
export interface SliceRequest {
  requestId: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw request target (path + query). */
  url: string;
  params: Readonly<Record<string, string>>;
  headers: IncomingHttpHeaders;
  body: Buffer | null;
}

/** A new path's answer, already in the wire format the client expects. */
export interface NewResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface HandlerContext {
  /** Aborted when the route's deadline passes or the client goes away. */
  signal: AbortSignal;
  adapters: Adapters;
  /** Client headers that legacy adapter calls carry (credentials, conditionals, trace context). */
  forwardHeaders: Record<string, string>;
  /** Shadow runs set this: writes must be recorded, never made. */
  dryRun: boolean;
  /**
   * Call right before the first side effect. After it, a failure is answered as an error instead of falling back
   * to legacy, so a request is never executed twice.
   */
  commit(): void;
  /** Legacy fields the mapper carried through without placing them in the contract. */
  recordGaps(paths: readonly string[]): void;
}

export type NewHandler = (req: SliceRequest, ctx: HandlerContext) => Promise<NewResponse>;

/** One row of the route table: a method+path that a migration slice may move to a new handler. */
export interface RouteSpec {
  /** Stable route id (`tickets.get`): metric label, log binding. */
  id: string;
  /** Slice id: flag names are `gw.<slice>.serve` / `gw.<slice>.shadow`. */
  slice: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** find-my-way patterns; legacy's `.json` variants listed explicitly. */
  paths: readonly string[];
  /** Adds route-specific fields (resource id, intent) to the header-derived flag context. */
  context(req: SliceRequest, base: FlagContext): FlagContext;
  /** Deadline of the new path in ms (config may override per slice). */
  deadlineMs: number;
  /** Whether the new handler needs the request body (buffered up to the cap). */
  readsBody: boolean;
  /** Whether the new path has side effects (shadow runs it dry). */
  write: boolean;
  handler: NewHandler;
  /** One line for operators. */
  description: string;
  /** How shadow runs compare legacy's answer with the new path's (contract, field rules, legacy's effects for writes). */
  comparison?: SliceComparison | undefined;
}
