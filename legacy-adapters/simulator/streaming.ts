/**
 * Streaming endpoints: a chunked NDJSON event stream, a large deterministic binary download and a streaming upload
 * that digests the body without ever holding it.
 */
import { once } from 'node:events';
import { baseHeaders, type Ctx, intParam, invalidValue, recordInvalid, sendJson, sleep } from './http-util.js';
import { SEED_TICKET_COUNT } from './seed-tickets.js';

export const MAX_EVENTS = 1000;
export const MAX_INTERVAL_MS = 5000;
export const MAX_BLOB_BYTES = 64 * 1024 * 1024;
const BLOCK = 64 * 1024;

/** Byte i of every blob: a fixed pattern with a 64 KiB period, so any size is reproducible. */
export function blobByte(i: number): number {
  return (i * 31 + (i >>> 8) * 17 + 7) & 0xff;
}

const BLOB_BLOCK = Buffer.from(Array.from({ length: BLOCK }, (_, i) => blobByte(i)));

/** The bytes `GET /api/v2/attachments/blob?size=n` sends (for tests). */
export function blobBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0; off < size; off += BLOCK) BLOB_BLOCK.copy(out, off, 0, Math.min(BLOCK, size - off));
  return out;
}

/** Aborts when the client goes away or the simulator closes (and cleans up after itself when the response ends). */
function lifetime(ctx: Ctx): AbortSignal {
  const ac = new AbortController();
  const abort = (): void => ac.abort();
  if (ctx.signal.aborted) ac.abort();
  else ctx.signal.addEventListener('abort', abort, { once: true });
  ctx.res.once('close', () => {
    ctx.signal.removeEventListener('abort', abort);
    ac.abort();
  });
  return ac.signal;
}

/** `GET /api/v2/stream/events?count=N&interval_ms=M`: one NDJSON line per chunk, flushed individually. */
export async function streamEvents(ctx: Ctx): Promise<void> {
  const count = Math.min(MAX_EVENTS, intParam(ctx.query.get('count'), 5));
  const interval = Math.min(MAX_INTERVAL_MS, intParam(ctx.query.get('interval_ms'), 100));
  ctx.res.writeHead(200, {
    'Content-Type': 'application/x-ndjson',
    'Cache-Control': 'no-cache',
    ...baseHeaders(ctx),
  });
  if (ctx.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  ctx.res.flushHeaders();
  const alive = lifetime(ctx);
  for (let seq = 1; seq <= count; seq++) {
    if (alive.aborted) return;
    const ticketId = ((seq - 1) % SEED_TICKET_COUNT) + 1;
    ctx.res.write(`${JSON.stringify({ seq, type: 'ticket.updated', ticket_id: ticketId })}\n`);
    if (seq < count && !(await sleep(interval, alive))) return;
  }
  ctx.res.end();
}

/** `GET /api/v2/attachments/blob?size=BYTES`: deterministic bytes with Content-Length, honouring backpressure. */
export async function blob(ctx: Ctx): Promise<void> {
  const raw = ctx.query.get('size');
  const size = intParam(raw, raw === null ? 1024 : -1);
  if (size < 0 || size > MAX_BLOB_BYTES) {
    recordInvalid(ctx, { size: [invalidValue('Size', `must be an integer between 0 and ${MAX_BLOB_BYTES}`)] });
    return;
  }
  ctx.res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(size),
    'Content-Disposition': `attachment; filename="blob-${size}.bin"`,
    ...baseHeaders(ctx),
  });
  if (ctx.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  const alive = lifetime(ctx);
  for (let off = 0; off < size; off += BLOCK) {
    if (alive.aborted) return;
    const chunk = off + BLOCK <= size ? BLOB_BLOCK : BLOB_BLOCK.subarray(0, size - off);
    if (!ctx.res.write(chunk)) {
      try {
        await once(ctx.res, 'drain', { signal: alive });
      } catch {
        return;
      }
    }
  }
  ctx.res.end();
}

/** `POST /api/v2/uploads`: any content type; the body is streamed through SHA-256 and dropped. */
export async function upload(ctx: Ctx): Promise<void> {
  await ctx.body.drain();
  sendJson(ctx, 201, { upload: { size: ctx.body.bytes, sha256: ctx.body.sha256 } });
}
