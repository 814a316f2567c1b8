import { type CallOptions, type LegacyHttp, type LegacyResponse, parseJsonBody } from './http.js';

/** The ticketing system (Zendesk-style REST). Typed operations; payloads stay legacy-shaped (mappers own the rest). */
export interface TicketingAdapter {
  readonly origin: string;
  /**
   * `GET /api/v2/tickets/{id}.json`. Resolves for every HTTP answer (4xx bodies are returned for verbatim relay);
   * rejects with a GatewayError on transport failure, timeout or a 2xx body that is not JSON.
   */
  getTicket(id: string, opts?: CallOptions): Promise<{ response: LegacyResponse; json: unknown | undefined }>;
  /** Cursor page: `GET /api/v2/tickets.json?page[size]=…&page[after]=…` (same answer contract as getTicket). */
  listTickets(
    page: { size: number; after?: string | undefined; before?: string | undefined },
    opts?: CallOptions,
  ): Promise<{ response: LegacyResponse; json: unknown | undefined }>;
}

export function createTicketingAdapter(http: LegacyHttp): TicketingAdapter {
  async function get(path: string, opts: CallOptions | undefined) {
    const response = await http.call('GET', path, opts);
    const json = response.status >= 200 && response.status < 300 ? parseJsonBody(response, http.system) : undefined;
    return { response, json };
  }
  return {
    origin: http.origin,
    getTicket: (id, opts) => get(`/api/v2/tickets/${encodeURIComponent(id)}.json`, opts),
    listTickets(page, opts) {
      const q = new URLSearchParams({ 'page[size]': String(page.size) });
      if (page.after !== undefined) q.set('page[after]', page.after);
      if (page.before !== undefined) q.set('page[before]', page.before);
      return get(`/api/v2/tickets.json?${q.toString()}`, opts);
    },
  };
}
