import { Errors } from '../src/errors.js';
import type { CallOptions, LegacyHttp, LegacyResponse } from './http.js';

/**
 * Users of the ticketing system (Zendesk-style REST), kept apart from ticketing.ts so each feature stays one grep.
 * Same answer contract as the ticket operations: every HTTP answer resolves (non-2xx bodies come back for verbatim
 * relay, `json` undefined); a transport failure or timeout rejects with a GatewayError (http.ts); a 2xx body that is
 * not valid UTF-8 or not JSON rejects with GW_UPSTREAM_BAD_RESPONSE (a lossy decode could not be rendered back
 * byte-identically, so legacy should serve that request as it is).
 */
export interface TicketingUsersAdapter {
  readonly origin: string;
  /** `GET /api/v2/users/{id}.json` → `{"user":{…}}`; an unknown id is a 404 `RecordNotFound`, returned for relay. */
  getUser(
    id: string,
    opts?: Omit<CallOptions, 'body'>,
  ): Promise<{ response: LegacyResponse; json: unknown | undefined }>;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

export function createTicketingUsersAdapter(http: LegacyHttp): TicketingUsersAdapter {
  return {
    origin: http.origin,
    async getUser(id, opts = {}) {
      const { headers, signal } = opts;
      const response = await http.call('GET', `/api/v2/users/${encodeURIComponent(id)}.json`, {
        headers: { accept: 'application/json', ...headers },
        ...(signal === undefined ? {} : { signal }),
      });
      if (response.status < 200 || response.status >= 300) return { response, json: undefined };
      try {
        return { response, json: JSON.parse(fatalUtf8.decode(response.body)) as unknown };
      } catch (err) {
        throw Errors.UPSTREAM_BAD_RESPONSE.create({
          cause: err,
          target: 'legacy',
          system: http.system,
          detail: `${http.system} answered ${response.status} with a body that is not valid UTF-8 JSON`,
        });
      }
    },
  };
}
