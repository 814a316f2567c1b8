/**
 * Response writing shared by every endpoint: the legacy platform's header conventions (Server, rate limit, weak
 * ETag, gzip above 1 KiB, Content-Length on every known body), its error bodies, and small parsing helpers.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { BodyReader } from './body.js';
import { RATE_LIMIT, type SimState } from './state.js';

export const SERVER_NAME = 'legacy-sim';
export const JSON_TYPE = 'application/json; charset=utf-8';
const GZIP_THRESHOLD = 1024;

export interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Upper-case method as received (HEAD stays HEAD even when served by a GET handler). */
  readonly method: string;
  /** Raw path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  params: Record<string, string>;
  readonly state: SimState;
  /** publicOrigin: the origin of every absolute URL the simulator emits. */
  readonly origin: string;
  readonly body: BodyReader;
  /** X-Rate-Limit-Remaining for this request; null where the system sends no rate-limit headers. */
  readonly rateLimitRemaining: number | null;
  /** Aborted when the simulator closes. */
  readonly signal: AbortSignal;
}

export interface SendOptions {
  headers?: Record<string, string>;
  contentType?: string;
}

export function baseHeaders(ctx: Ctx): Record<string, string> {
  const headers: Record<string, string> = { Server: SERVER_NAME };
  if (ctx.rateLimitRemaining !== null) {
    headers['X-Rate-Limit'] = String(RATE_LIMIT);
    headers['X-Rate-Limit-Remaining'] = String(ctx.rateLimitRemaining);
  }
  return headers;
}

export function weakEtag(body: Buffer): string {
  return `W/"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
}

function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);
  return header.split(',').some((t) => t.trim() === '*' || opaque(t.trim()) === opaque(etag));
}

export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [token = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (token !== 'gzip' && token !== 'x-gzip' && token !== '*') return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Writes a serialised JSON body with the platform's conventions (ETag/304 on GET, gzip above 1 KiB). */
export function sendJsonBytes(ctx: Ctx, status: number, body: Buffer, opts: SendOptions = {}): void {
  const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? JSON_TYPE };
  const compressible = body.length > GZIP_THRESHOLD;
  if (compressible) headers.Vary = 'Accept-Encoding';
  const read = ctx.method === 'GET' || ctx.method === 'HEAD';
  if (read && status === 200) {
    const etag = weakEtag(body);
    headers.ETag = etag;
    headers['Cache-Control'] = 'max-age=0, private, must-revalidate';
    if (ifNoneMatchMatches(ctx.req.headers['if-none-match'], etag)) {
      const { 'Content-Type': _omit, ...notModified } = headers;
      ctx.res.writeHead(304, { ...notModified, ...baseHeaders(ctx), ...opts.headers });
      ctx.res.end();
      return;
    }
  }
  let payload = body;
  if (compressible && acceptsGzip(ctx.req.headers['accept-encoding'])) {
    payload = gzipSync(body);
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = String(payload.length);
  ctx.res.writeHead(status, { ...headers, ...baseHeaders(ctx), ...opts.headers });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : payload);
}

export function sendJson(ctx: Ctx, status: number, value: unknown, opts: SendOptions = {}): void {
  sendJsonBytes(ctx, status, Buffer.from(JSON.stringify(value), 'utf8'), opts);
}

export function sendText(
  ctx: Ctx,
  status: number,
  contentType: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  ctx.res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': String(bytes.length),
    ...baseHeaders(ctx),
    ...headers,
  });
  ctx.res.end(ctx.method === 'HEAD' ? undefined : bytes);
}

export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { ...baseHeaders(ctx), ...headers });
  ctx.res.end();
}

/** Sends a stored write response (fresh or replayed for an Idempotency-Key). */
export function sendStored(
  ctx: Ctx,
  stored: { status: number; headers: Record<string, string>; body: Buffer | null; contentType?: string },
  extra: Record<string, string>,
): void {
  const headers = { ...stored.headers, ...extra };
  if (stored.body === null) sendEmpty(ctx, stored.status, headers);
  else
    sendJsonBytes(ctx, stored.status, stored.body, {
      headers,
      ...(stored.contentType === undefined ? {} : { contentType: stored.contentType }),
    });
}

// ---- Zendesk-style errors -------------------------------------------------------------------------------------

export interface FieldError {
  description: string;
  error: string;
}
export type FieldErrors = Record<string, FieldError[]>;

export function notFound(ctx: Ctx): void {
  sendJson(ctx, 404, { error: 'RecordNotFound', description: 'Not found' });
}

export function blank(label: string): FieldError {
  return { description: `${label}: cannot be blank`, error: 'BlankValue' };
}

export function invalidValue(label: string, detail = 'is invalid'): FieldError {
  return { description: `${label}: ${detail}`, error: 'InvalidValue' };
}

export function recordInvalid(ctx: Ctx, details: FieldErrors): void {
  sendJson(ctx, 422, { error: 'RecordInvalid', description: 'Record validation errors', details });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Resolves true after `ms`, false if `signal` aborted first. */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return !signal.aborted;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** Parses a non-negative integer query parameter; anything else gives the fallback. */
export function intParam(value: string | null, fallback: number): number {
  if (value === null || !/^\d{1,15}$/.test(value)) return fallback;
  return Number(value);
}
