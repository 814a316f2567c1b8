/**
 * Zendesk-style Idempotency-Key handling for every state-changing endpoint: the same key with the same request
 * (method, path without `.json`, body bytes) within 2 h replays the stored answer with `x-idempotency-lookup: hit`
 * and applies nothing; the same key with a different request is a 400 IdempotentRequestError. Only 2xx answers are
 * stored, so a request that failed validation can be corrected and retried under its key.
 */
import { createHash } from 'node:crypto';
import { type Ctx, sendJson, sendStored } from './http-util.js';
import type { StoredResponse } from './state.js';

export const IDEMPOTENCY_TTL_MS = 2 * 3_600_000;

export function idempotencyKeyOf(ctx: Ctx): string | null {
  const value = ctx.req.headers['idempotency-key'];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A write result: `applied` responses are stored for replay; `rejected` ones (4xx) are sent and forgotten. */
export type WriteOutcome = { applied: true; response: StoredResponse } | { applied: false; send: () => void };

/**
 * Runs a write under the request's Idempotency-Key (if any). `apply` must be synchronous: check, apply and store
 * happen without an await in between, so two concurrent requests with one key can never both apply.
 */
export function runWrite(
  ctx: Ctx,
  raw: Buffer,
  apply: (key: string | null) => WriteOutcome,
  onKeyReuse: (ctx: Ctx) => void = zendeskKeyReuse,
): void {
  const key = idempotencyKeyOf(ctx);
  if (key === null) {
    const outcome = apply(null);
    if (outcome.applied) sendStored(ctx, outcome.response, {});
    else outcome.send();
    return;
  }
  const now = Date.now();
  const normalizedPath = ctx.path.endsWith('.json') ? ctx.path.slice(0, -'.json'.length) : ctx.path;
  const fingerprint = createHash('sha256').update(`${ctx.method} ${normalizedPath}\n`).update(raw).digest('hex');
  const previous = ctx.state.idempotencyLookup(key, now, IDEMPOTENCY_TTL_MS);
  if (previous !== undefined) {
    if (previous.fingerprint === fingerprint) sendStored(ctx, previous.response, { 'x-idempotency-lookup': 'hit' });
    else onKeyReuse(ctx);
    return;
  }
  const outcome = apply(key);
  if (!outcome.applied) {
    outcome.send();
    return;
  }
  ctx.state.idempotencyStore(key, fingerprint, outcome.response, now);
  sendStored(ctx, outcome.response, { 'x-idempotency-lookup': 'miss' });
}

function zendeskKeyReuse(ctx: Ctx): void {
  sendJson(ctx, 400, {
    error: 'IdempotentRequestError',
    description: 'Idempotency key has already been used with different request parameters',
  });
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): StoredResponse {
  return { status, headers, body: Buffer.from(JSON.stringify(value), 'utf8') };
}
