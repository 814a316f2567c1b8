import { type CallOptions, type LegacyHttp, type LegacyResponse, parseJsonBody } from './http.js';

export interface TicketingResult {
  response: LegacyResponse;
  json: unknown | undefined;
}

export interface TicketWriteOptions extends Omit<CallOptions, 'body'> {
  /**
   * Required: legacy applies a write at most once per key (it replays its stored answer for 2 h), so a retried call
   * can never create or change a ticket twice.
   */
  idempotencyKey: string;
}

export interface TicketWriteResult extends TicketingResult {
  /** Legacy answered from its Idempotency-Key store (`x-idempotency-lookup: hit`): nothing was applied again. */
  replayed: boolean;
}

/**
 * A legacy request body: bytes or a string are sent exactly as they are (a client's own JSON, so legacy's
 * Idempotency-Key fingerprint matches a direct retry); anything else is serialised as JSON.
 */
export type TicketWriteBody = Buffer | string | object;

/** The ticketing system (Zendesk-style REST). Typed operations; payloads stay legacy-shaped (mappers own the rest). */
export interface TicketingAdapter {
  readonly origin: string;
  /**
   * `GET /api/v2/tickets/{id}.json`. Resolves for every HTTP answer (4xx bodies are returned for verbatim relay);
   * rejects with a GatewayError on transport failure, timeout or a 2xx body that is not JSON.
   */
  getTicket(id: string, opts?: CallOptions): Promise<TicketingResult>;
  /** Cursor page: `GET /api/v2/tickets.json?page[size]=…&page[after]=…` (same answer contract as getTicket). */
  listTickets(
    page: { size: number; after?: string | undefined; before?: string | undefined },
    opts?: CallOptions,
  ): Promise<TicketingResult>;
  /**
   * `POST /api/v2/tickets.json` with `{"ticket":{…}}` and an Idempotency-Key → `201` + `Location` + `{"ticket"}`.
   * Same answer contract as getTicket: legacy's 400/422 come back for verbatim relay.
   */
  createTicket(body: TicketWriteBody, opts: TicketWriteOptions): Promise<TicketWriteResult>;
  /**
   * `PUT /api/v2/tickets/{id}.json` (or PATCH, as the client asked: legacy's Idempotency-Key fingerprint includes the
   * method) with `{"ticket":{…}}` → `200 {"ticket"}`. A closed ticket is legacy's 422, returned for relay.
   */
  updateTicket(
    id: string,
    body: TicketWriteBody,
    opts: TicketWriteOptions & { method?: 'PUT' | 'PATCH' },
  ): Promise<TicketWriteResult>;
}

/** Per-hop headers of the client's request that must not go with a body we send ourselves. */
const PER_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'expect']);

function writeHeaders(opts: TicketWriteOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    const lower = name.toLowerCase();
    if (!PER_HOP.has(lower) && lower !== 'content-type' && lower !== 'idempotency-key') out[lower] = value;
  }
  out['content-type'] = 'application/json';
  out['idempotency-key'] = opts.idempotencyKey;
  return out;
}

export function createTicketingAdapter(http: LegacyHttp): TicketingAdapter {
  async function send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    opts: CallOptions | undefined,
  ): Promise<TicketingResult> {
    const response = await http.call(method, path, opts);
    const json = response.status >= 200 && response.status < 300 ? parseJsonBody(response, http.system) : undefined;
    return { response, json };
  }
  async function write(
    method: 'POST' | 'PUT' | 'PATCH',
    path: string,
    body: TicketWriteBody,
    opts: TicketWriteOptions,
  ): Promise<TicketWriteResult> {
    const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const { signal } = opts;
    const result = await send(method, path, {
      headers: writeHeaders(opts),
      body: bytes,
      ...(signal === undefined ? {} : { signal }),
    });
    return { ...result, replayed: result.response.headers['x-idempotency-lookup'] === 'hit' };
  }
  const ticketPath = (id: string) => `/api/v2/tickets/${encodeURIComponent(id)}.json`;
  return {
    origin: http.origin,
    getTicket: (id, opts) => send('GET', ticketPath(id), opts),
    listTickets(page, opts) {
      const q = new URLSearchParams({ 'page[size]': String(page.size) });
      if (page.after !== undefined) q.set('page[after]', page.after);
      if (page.before !== undefined) q.set('page[before]', page.before);
      return send('GET', `/api/v2/tickets.json?${q.toString()}`, opts);
    },
    createTicket: (body, opts) => write('POST', '/api/v2/tickets.json', body, opts),
    updateTicket: (id, body, opts) => write(opts.method ?? 'PUT', ticketPath(id), body, opts),
  };
}
