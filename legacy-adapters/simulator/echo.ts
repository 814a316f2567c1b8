/** `ANY /api/v2/echo/*`: reports what legacy received (method, raw URL, headers, body size and digest). */
import { type Ctx, sendJson } from './http-util.js';

/** Headers exactly as they came over the wire: names lower-cased, repeated headers as arrays in arrival order. */
export function receivedHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

export async function echo(ctx: Ctx): Promise<void> {
  await ctx.body.drain();
  sendJson(ctx, 200, {
    method: ctx.req.method ?? '',
    url: ctx.req.url ?? '',
    headers: receivedHeaders(ctx.req.rawHeaders),
    body_bytes: ctx.body.bytes,
    body_sha256: ctx.body.sha256,
  });
}
