/**
 * Request bodies: read once, never buffered beyond what an endpoint needs, with the request log's byte count and
 * digest kept up to date as the bytes stream in.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type Ctx, sendJson } from './http-util.js';
import type { RecordedRequest } from './types.js';

export const JSON_BODY_LIMIT = 1024 * 1024;

/** Reads a request body exactly once, feeding its size and SHA-256 into the request log as it goes. */
export class BodyReader {
  private readonly req: IncomingMessage;
  private readonly record: RecordedRequest | null;
  private readonly hash: Hash = createHash('sha256');
  private started = false;
  private finished = false;
  private digest = '';
  bytes = 0;

  constructor(req: IncomingMessage, record: RecordedRequest | null) {
    this.req = req;
    this.record = record;
  }

  get consumed(): boolean {
    return this.started;
  }

  /** Hex SHA-256 of the whole body; valid once the body has been read to the end. */
  get sha256(): string {
    if (!this.finished) throw new Error('body not read to the end');
    return this.digest;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    if (this.started) throw new Error('body already consumed');
    this.started = true;
    for await (const chunk of this.req) {
      const buf = chunk as Buffer;
      this.hash.update(buf);
      this.bytes += buf.length;
      if (this.record !== null) this.record.bodyBytes = this.bytes;
      yield buf;
    }
    this.finished = true;
    this.digest = this.hash.digest('hex');
    if (this.record !== null) this.record.bodySha256 = this.digest;
  }

  /** Reads and discards the body (still counted and hashed). */
  async drain(): Promise<void> {
    for await (const _ of this.chunks()) {
      // discard
    }
  }

  /** The whole body, or null when it exceeds `limit` (the rest is still drained so the connection stays usable). */
  async readAll(limit: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let over = false;
    for await (const chunk of this.chunks()) {
      if (over) continue;
      if (this.bytes > limit) {
        over = true;
        parts.length = 0;
      } else parts.push(chunk);
    }
    return over ? null : Buffer.concat(parts);
  }
}

export type BodyProblem = 'too_large' | 'invalid_utf8' | 'invalid_json';

export function zendeskBodyProblem(ctx: Ctx, problem: BodyProblem): void {
  if (problem === 'too_large') {
    sendJson(ctx, 413, {
      error: 'RequestEntityTooLarge',
      description: `Request body exceeds ${JSON_BODY_LIMIT} bytes`,
    });
  } else {
    const description =
      problem === 'invalid_utf8' ? 'Request body is not valid UTF-8' : 'Request body is not valid JSON';
    sendJson(ctx, 400, { error: 'InvalidJson', description });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body (an empty body reads as `{}`, as Rails does). On a problem the error answer is sent and
 * null returned. `raw` is the exact bytes, used for Idempotency-Key fingerprints.
 */
export async function readJson(
  ctx: Ctx,
  onProblem: (ctx: Ctx, problem: BodyProblem) => void = zendeskBodyProblem,
): Promise<{ value: unknown; raw: Buffer } | null> {
  const raw = await ctx.body.readAll(JSON_BODY_LIMIT);
  if (raw === null) {
    onProblem(ctx, 'too_large');
    return null;
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    onProblem(ctx, 'invalid_utf8');
    return null;
  }
  if (text.trim() === '') return { value: {}, raw };
  try {
    return { value: JSON.parse(text) as unknown, raw };
  } catch {
    onProblem(ctx, 'invalid_json');
    return null;
  }
}
