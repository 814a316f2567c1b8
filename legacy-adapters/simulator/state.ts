/**
 * All mutable simulator state in one place, so `reset()` is a single call. Timestamps that end up in payloads come
 * from a logical clock (one second per write, starting 2024-03-01T09:00:00Z, after every seeded timestamp), so two
 * runs of the same requests produce the same bytes.
 */
import { createHash } from 'node:crypto';
import { type OrderRecord, seedOrders } from './seed-orders.js';
import { AGENT_IDS, type CustomerRecord, seedCustomers, seedUsers, type UserRecord } from './seed-people.js';
import { SEED_TICKET_COUNT, seedTickets, type TicketRecord } from './seed-tickets.js';
import { isoSeconds } from './time.js';
import type { RecordedRequest, SimulatorFaults, WriteRecord } from './types.js';

export type PresenceStatus = 'online' | 'away' | 'offline';

export interface ConversationMessage {
  id: string;
  conversation_id: string;
  received: string;
  author: { type: 'user' | 'business'; id?: string; display_name: string };
  content: { type: 'text'; text: string; actions?: { type: 'reply'; text: string }[] };
}

export interface HandoffRecord {
  id: string;
  conversation_id: string;
  status: 'queued';
  queue_position: number;
  intent: string;
  summary: string;
  transcript: unknown[];
  proposed_action: unknown;
  created_at: string;
}

/** A response kept for Idempotency-Key replays (body already serialised). */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | null;
  contentType?: string;
}

interface IdempotencyEntry {
  fingerprint: string;
  response: StoredResponse;
  at: number;
}

export const REQUEST_LOG_LIMIT = 1000;
export const RATE_LIMIT = 700;
const RATE_WINDOW_MS = 60_000;
const CLOCK_START = Date.UTC(2024, 2, 1, 9, 0, 0);
const EMPTY_SHA256 = createHash('sha256').digest('hex');
const INITIAL_PRESENCE: readonly PresenceStatus[] = ['online', 'away', 'offline', 'online', 'away'];

export class SimState {
  tickets: Map<number, TicketRecord> = seedTickets();
  nextTicketId = SEED_TICKET_COUNT + 1;
  users: Map<number, UserRecord> = seedUsers();
  customers: Map<string, CustomerRecord> = seedCustomers();
  orders: Map<string, OrderRecord> = seedOrders();
  conversations = new Map<string, ConversationMessage[]>();
  handoffs = new Map<string, HandoffRecord>();
  nextHandoffId = 1;
  presence = new Map<number, PresenceStatus>();
  faults: SimulatorFaults = { mode: 'none' };
  private clock = CLOCK_START;
  private requestLog: RecordedRequest[] = [];
  private writeLog: WriteRecord[] = [];
  private appliedKeys = new Set<string>();
  private duplicates = 0;
  private idempotency = new Map<string, IdempotencyEntry>();
  private windowStart = 0;
  private windowCount = 0;

  constructor() {
    this.resetPresence();
  }

  reset(): void {
    this.tickets = seedTickets();
    this.nextTicketId = SEED_TICKET_COUNT + 1;
    this.users = seedUsers();
    this.customers = seedCustomers();
    this.orders = seedOrders();
    this.conversations = new Map();
    this.handoffs = new Map();
    this.nextHandoffId = 1;
    this.resetPresence();
    this.faults = { mode: 'none' };
    this.clock = CLOCK_START;
    this.requestLog = [];
    this.writeLog = [];
    this.appliedKeys = new Set();
    this.duplicates = 0;
    this.idempotency = new Map();
    this.windowStart = 0;
    this.windowCount = 0;
  }

  private resetPresence(): void {
    this.presence = new Map(AGENT_IDS.map((id, i) => [id, INITIAL_PRESENCE[i % INITIAL_PRESENCE.length] ?? 'offline']));
  }

  /** Advances the logical clock by one second and returns it as Zendesk ISO time. */
  tick(): string {
    this.clock += 1000;
    return isoSeconds(this.clock);
  }

  /** Records an incoming request; the returned record is updated while its body streams in. */
  recordRequest(method: string, url: string, headers: RecordedRequest['headers']): RecordedRequest {
    const record: RecordedRequest = {
      method,
      url,
      headers: { ...headers },
      bodyBytes: 0,
      bodySha256: EMPTY_SHA256,
      at: Date.now(),
    };
    this.requestLog.push(record);
    if (this.requestLog.length > REQUEST_LOG_LIMIT)
      this.requestLog.splice(0, this.requestLog.length - REQUEST_LOG_LIMIT);
    return record;
  }

  requests(): RecordedRequest[] {
    return this.requestLog.map((r) => ({ ...r, headers: { ...r.headers } }));
  }

  /** Counts a request against the fixed 60 s window and returns what `X-Rate-Limit-Remaining` should say. */
  rateLimitRemaining(now: number): number {
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    return Math.max(0, RATE_LIMIT - this.windowCount);
  }

  logWrite(key: string, method: string, path: string, idempotencyKey: string | null): void {
    if (idempotencyKey !== null) {
      if (this.appliedKeys.has(idempotencyKey)) this.duplicates++;
      this.appliedKeys.add(idempotencyKey);
    }
    this.writeLog.push({ key, method, path, idempotencyKey, at: Date.now() });
  }

  writes(): WriteRecord[] {
    return this.writeLog.map((w) => ({ ...w }));
  }

  duplicateWrites(): number {
    return this.duplicates;
  }

  idempotencyLookup(key: string, now: number, ttlMs: number): IdempotencyEntry | undefined {
    const entry = this.idempotency.get(key);
    if (entry !== undefined && now - entry.at >= ttlMs) {
      this.idempotency.delete(key);
      return undefined;
    }
    return entry;
  }

  idempotencyStore(key: string, fingerprint: string, response: StoredResponse, now: number): void {
    this.idempotency.set(key, { fingerprint, response, at: now });
  }
}
