import { type CallOptions, type LegacyHttp, type LegacyResponse, parseJsonBody } from './http.js';

/** The ticketing system (Zendesk-style REST). Typed operations; payloads stay legacy-shaped (mappers own the rest). */
export interface TicketingAdapter {
  readonly origin: string;
  /**
   * `GET /api/v2/tickets/{id}.json`. Resolves for every HTTP answer (4xx bodies are returned for verbatim relay);
   * rejects with a GatewayError on transport failure, timeout or a 2xx body that is not JSON.
   */
  getTicket(id: string, opts?: CallOptions): Promise<{ response: LegacyResponse; json: unknown | undefined }>;
}

export function createTicketingAdapter(http: LegacyHttp): TicketingAdapter {
  return {
    origin: http.origin,
    async getTicket(id, opts) {
      const response = await http.call('GET', `/api/v2/tickets/${encodeURIComponent(id)}.json`, opts);
      const json = response.status >= 200 && response.status < 300 ? parseJsonBody(response, http.system) : undefined;
      return { response, json };
    },
  };
}
