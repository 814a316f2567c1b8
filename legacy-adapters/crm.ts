import { Errors, type GatewayError } from '../src/errors.js';
import { type CallOptions, type LegacyHttp, type LegacyResponse, parseJsonBody } from './http.js';

/**
 * The older CRM (`/crm`, UPPER_SNAKE JSON, `{"ERROR_CD","ERROR_MSG"}` errors). Typed operations; payloads stay
 * legacy-shaped (mappers/customer.ts owns the rest).
 *
 * Every HTTP answer resolves (4xx/5xx bodies come back for verbatim relay, `json` undefined). A call rejects with a
 * GatewayError on transport failure or timeout (http.ts), on a 2xx body that is not JSON or not valid UTF-8
 * (GW_UPSTREAM_BAD_RESPONSE: a lossy decode could never be rendered back byte-identically, so the request is better
 * served by legacy as it is), and on a CRM error inside a 2xx (GW_UPSTREAM_STATUS, detail `<ERROR_CD> <ERROR_MSG>`).
 */
export interface CrmResult {
  response: LegacyResponse;
  json: unknown | undefined;
}

export interface CrmWriteOptions extends Omit<CallOptions, 'body'> {
  /** Required: a write reaches the CRM at most once per key (the CRM replays its stored answer for 2 h). */
  idempotencyKey: string;
}

export interface CrmWriteResult extends CrmResult {
  /** The CRM answered from its Idempotency-Key store (`x-idempotency-lookup: hit`): nothing was applied again. */
  replayed: boolean;
}

/** The CRM's address fields (`PUT /crm/customers/{id}/address`); a partial address is merged by the CRM. */
export type CrmAddressBody = Partial<Record<'STREET' | 'CITY' | 'ZIP_CD' | 'COUNTRY_CD', string>>;

export interface CrmAdapter {
  readonly origin: string;
  /** `GET /crm/customers/{id}`. A missing customer is a 404 `CUST_NOT_FOUND` answer, returned for relay. */
  getCustomer(id: string, opts?: Omit<CallOptions, 'body'>): Promise<CrmResult>;
  /** `PUT /crm/customers/{id}/address` with `{"ADDRESS":{…}}` and an Idempotency-Key; answers the whole customer. */
  updateAddress(id: string, address: CrmAddressBody, opts: CrmWriteOptions): Promise<CrmWriteResult>;
}

/**
 * Decodes in the charset the Content-Type names (a Java CRM may well say ISO-8859-1), strictly: bytes that are not
 * valid in it make the answer bad rather than silently replaced.
 */
function decode(res: LegacyResponse, system: string): unknown {
  const type = res.headers['content-type'];
  const charset = /;\s*charset="?([^";\s]+)/i.exec(typeof type === 'string' ? type : '')?.[1] ?? 'utf-8';
  let text: string;
  try {
    text = new TextDecoder(charset, { fatal: true }).decode(res.body);
  } catch (err) {
    throw Errors.UPSTREAM_BAD_RESPONSE.create({
      cause: err,
      target: 'legacy',
      system,
      detail: `${system} answered ${res.status} with a body that is not valid ${charset}`,
    });
  }
  return parseJsonBody(res, system, text);
}

/** The CRM sometimes reports a failure inside a 200; a caller must never take that for a customer. */
function errorInside(json: unknown, status: number, system: string): GatewayError | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const { ERROR_CD: code, ERROR_MSG: message } = json as Record<string, unknown>;
  if (code === undefined || code === null || code === '') return undefined;
  const text = [code, message].filter((x) => (typeof x === 'string' && x !== '') || typeof x === 'number').join(' ');
  return Errors.UPSTREAM_STATUS.create({
    target: 'legacy',
    system,
    detail: text === '' ? `${system} answered ${status} with an error code` : text,
  });
}

export function createCrmAdapter(http: LegacyHttp): CrmAdapter {
  async function send(method: 'GET' | 'PUT', path: string, opts: CallOptions): Promise<CrmResult> {
    const response = await http.call(method, path, opts);
    if (response.status < 200 || response.status >= 300) return { response, json: undefined };
    const json = decode(response, http.system);
    const inside = errorInside(json, response.status, http.system);
    if (inside) throw inside;
    return { response, json };
  }
  const customerPath = (id: string) => `/crm/customers/${encodeURIComponent(id)}`;
  return {
    origin: http.origin,
    getCustomer: (id, opts = {}) => {
      const { headers, signal } = opts;
      return send('GET', customerPath(id), {
        headers: { accept: 'application/json', ...headers },
        ...(signal === undefined ? {} : { signal }),
      });
    },
    async updateAddress(id, address, opts) {
      const { idempotencyKey, headers, signal } = opts;
      const result = await send('PUT', `${customerPath(id)}/address`, {
        headers: {
          accept: 'application/json',
          ...headers,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ ADDRESS: address }),
        ...(signal === undefined ? {} : { signal }),
      });
      return { ...result, replayed: result.response.headers['x-idempotency-lookup'] === 'hit' };
    },
  };
}
