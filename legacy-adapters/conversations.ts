import { Errors, GatewayError } from '../src/errors.js';
import { type CallOptions, type LegacyHttp, type LegacyResponse, parseJsonBody } from './http.js';

/**
 * The conversation/bot system (Sunshine-Conversations-like REST under /api/v2/conversations). Typed operations;
 * payloads stay legacy-shaped (mappers/conversation.ts and mappers/bot-reply.ts own the rest).
 */

export interface WriteOptions extends CallOptions {
  /** Sent as `Idempotency-Key`: legacy replays the stored answer instead of applying a write twice. */
  idempotencyKey?: string;
}

export interface Relayed {
  response: LegacyResponse;
  /** Parsed body of a 2xx answer; undefined otherwise (the response is relayed as it is). */
  json: unknown | undefined;
}

export interface HandoffReceipt {
  id: string;
  status: string;
  queuePosition: number;
  /** Legacy answered from its Idempotency-Key store: the handoff had already been queued by an earlier try. */
  replayed: boolean;
  response: LegacyResponse;
}

export interface ConversationsAdapter {
  readonly origin: string;
  /**
   * `POST /api/v2/conversations/{id}/messages`. `body` is the legacy body (an object, or the client's own bytes for
   * a verbatim relay). Resolves for every HTTP answer (legacy's 4xx, e.g. 422, are returned for verbatim relay);
   * rejects with a GatewayError on transport failure, timeout, a 2xx body that is not JSON or an error inside a 2xx.
   */
  postMessage(conversationId: string, body: object | string | Buffer, opts?: WriteOptions): Promise<Relayed>;
  /** `GET /api/v2/conversations/{id}/messages` (404 for a conversation legacy does not know, relayed). */
  listMessages(conversationId: string, opts?: CallOptions): Promise<Relayed>;
  /**
   * `POST /api/v2/conversations/{id}/handoff` with the legacy body (mappers/bot-reply.ts handoffToLegacy). A side
   * effect of a new path, so nothing is relayed: any non-2xx answer is a GatewayError carrying legacy's error and
   * description. The Idempotency-Key is required; it makes the one retry after a connection reset safe.
   */
  deliverHandoff(
    conversationId: string,
    handoff: object,
    opts: WriteOptions & { idempotencyKey: string },
  ): Promise<HandoffReceipt>;
}

/** Per-hop headers of the client's request that must not be forwarded with a body we send ourselves. */
const PER_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'expect']);

function writeHeaders(opts: WriteOptions | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  let hasType = false;
  for (const [name, value] of Object.entries(opts?.headers ?? {})) {
    const lower = name.toLowerCase();
    if (PER_HOP.has(lower) || (lower === 'idempotency-key' && opts?.idempotencyKey !== undefined)) continue;
    if (lower === 'content-type') hasType = true;
    headers[name] = value;
  }
  if (!hasType) headers['content-type'] = 'application/json';
  if (opts?.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
  return headers;
}

const path = (conversationId: string, what: 'messages' | 'handoff') =>
  `/api/v2/conversations/${encodeURIComponent(conversationId)}/${what}`;

/** Legacy's Zendesk-style error body: `{"error","description"}`. */
function legacyError(json: unknown): { error: string; description: string } | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const { error, description, details } = json as Record<string, unknown>;
  if (typeof error !== 'string') return null;
  const text = typeof description === 'string' ? description : '';
  return { error, description: details === undefined ? text : `${text} ${JSON.stringify(details)}`.trim() };
}

function statusError(system: string, res: LegacyResponse): GatewayError {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    json = undefined;
  }
  const e = legacyError(json);
  const what = e === null ? '' : `: ${e.error} ${e.description}`.trimEnd();
  const detail = `${system} answered ${res.status}${what}`;
  if (e?.error === 'IdempotentRequestError')
    // The same key was used for a different handoff: a gateway bug, never worth a retry.
    return new GatewayError('GW_IDEMPOTENCY_CONFLICT', 409, detail, { target: 'legacy', system });
  return Errors.UPSTREAM_STATUS.create({ target: 'legacy', system, detail });
}

/** A 2xx whose body is legacy's error document: a real failure, not an answer. */
function checkErrorInside(system: string, res: LegacyResponse, json: unknown): void {
  const e = legacyError(json);
  if (e !== null)
    throw Errors.UPSTREAM_STATUS.create({
      target: 'legacy',
      system,
      detail: `${system} answered ${res.status} with an error inside: ${e.error} ${e.description}`.trimEnd(),
    });
}

export function createConversationsAdapter(http: LegacyHttp): ConversationsAdapter {
  async function relay(res: LegacyResponse): Promise<Relayed> {
    if (res.status < 200 || res.status >= 300) return { response: res, json: undefined };
    const json = parseJsonBody(res, http.system);
    checkErrorInside(http.system, res, json);
    return { response: res, json };
  }

  async function postHandoff(conversationId: string, body: string, opts: WriteOptions): Promise<LegacyResponse> {
    const call = () =>
      http.call('POST', path(conversationId, 'handoff'), { ...opts, headers: writeHeaders(opts), body });
    try {
      return await call();
    } catch (err) {
      // One retry, only where the Idempotency-Key makes it safe and only when the connection broke.
      if (!(err instanceof GatewayError) || err.code !== 'GW_UPSTREAM_RESET' || opts.signal?.aborted) throw err;
      return call();
    }
  }

  return {
    origin: http.origin,
    async postMessage(conversationId, body, opts) {
      const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const res = await http.call('POST', path(conversationId, 'messages'), {
        ...opts,
        headers: writeHeaders(opts),
        body: bytes,
      });
      return relay(res);
    },
    async listMessages(conversationId, opts) {
      return relay(await http.call('GET', path(conversationId, 'messages'), opts));
    },
    async deliverHandoff(conversationId, handoff, opts) {
      const res = await postHandoff(conversationId, JSON.stringify(handoff), opts);
      if (res.status < 200 || res.status >= 300) throw statusError(http.system, res);
      const json = parseJsonBody(res, http.system);
      checkErrorInside(http.system, res, json);
      const h = (json as { handoff?: Record<string, unknown> } | null)?.handoff;
      if (typeof h?.id !== 'string' || typeof h.status !== 'string' || typeof h.queue_position !== 'number')
        throw Errors.UPSTREAM_BAD_RESPONSE.create({
          target: 'legacy',
          system: http.system,
          detail: `${http.system} answered ${res.status} without a handoff id, status and queue_position`,
        });
      return {
        id: h.id,
        status: h.status,
        queuePosition: h.queue_position,
        replayed: res.headers['x-idempotency-lookup'] === 'hit',
        response: res,
      };
    },
  };
}
