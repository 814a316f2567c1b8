import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';

export type BufferedBody = { kind: 'full'; body: Buffer } | { kind: 'overflow'; stream: Readable };

/**
 * Buffers a request body up to `max` bytes (the new path needs a copy so legacy can still be called on fallback).
 * Above the cap the caller gets a stream that replays what was read and then the rest, so legacy receives the
 * request untouched and the slice is served by legacy.
 */
export function readBody(req: IncomingMessage, max: number): Promise<BufferedBody> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve({ kind: 'overflow', stream: req });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > max) {
        cleanup();
        req.pause();
        const replay = new PassThrough();
        for (const c of chunks) replay.write(c);
        req.pipe(replay);
        req.resume();
        resolve({ kind: 'overflow', stream: replay });
      }
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: 'full', body: Buffer.concat(chunks, size) });
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => onError(new Error('client aborted the request body'));
    function cleanup() {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

export type JsonBody = { ok: true; value: unknown } | { ok: false; reason: 'invalid_utf8' | 'invalid_json' };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a buffered JSON body as legacy does: strict UTF-8 (an invalid or overlong sequence is an error, never a
 * silent U+FFFD), then JSON. `Buffer#toString` would repair invalid bytes, so a body legacy rejects with 400 could be
 * accepted by a new handler. V8's JSON.parse is iterative: deep nesting costs memory, not stack.
 */
export function decodeJsonBody(body: Buffer): JsonBody {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, reason: 'invalid_utf8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
}
