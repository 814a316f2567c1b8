import { type FileHandle, open } from 'node:fs/promises';
import type { Logger } from '../observability/logger.js';
import { redactQuery, SECRET_QUERY_PARAMS } from '../observability/logger.js';

/**
 * Traffic recorder: a sample of public requests, masked, appended to a JSONL file that `gateway replay` reads.
 *
 * The request path only pays for `record()`: a hash of the request id (sampling), a shallow header copy and a push
 * onto a bounded queue. Masking, serialising and writing happen later (setImmediate), in batches, one write at a
 * time. When the queue is full the entry is dropped and counted; when the file would pass `maxBytes` recording stops
 * for good and says so once (the file stays valid JSONL: only whole lines are written). Requests sent by
 * `gateway replay` (x-gateway-replay) are not recorded again.
 *
 * Sampling is deterministic per request id (a 32-bit hash of the id against `sampleRate`), not Math.random: a request is
 * recorded or not whichever replica or process looks at it, a retried request with the same id makes the same
 * choice, tests are reproducible, and no RNG runs on the hot path. Ids are random or sequential in practice, and the
 * hash spreads both evenly; a client choosing its own x-request-id can only choose to be recorded (masked), no more.
 */

/** What the request path hands over. Do not mutate `body` afterwards (it is read later). */
export interface RecordedExchange {
  /** When the request arrived (default: when `record` is called). */
  at?: Date | string | number;
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  headers: Readonly<Record<string, string | readonly string[] | number | undefined>>;
  /** The request body when the gateway buffered it; null or absent for none. */
  body?: Buffer | string | null;
  /** The body streamed through unbuffered, so it cannot be recorded. */
  bodyStreamed?: boolean;
  status: number;
  /** Who answered: legacy, modern, … */
  servedBy: string;
  slice: string | null;
  requestId: string;
}

/** One JSONL line. */
export interface RecordedLine {
  at: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** UTF-8 body (masked). */
  body?: string;
  /** Binary body. */
  bodyBase64?: string;
  /** Why a body is missing. `unmaskable`: masking failed, so nothing was kept. */
  bodyOmitted?: 'streamed' | 'too_large' | 'unmaskable';
  status: number;
  servedBy: string;
  slice: string | null;
  requestId: string;
}

export interface RecorderOptions {
  file: string;
  /** The file never grows past this (bytes already in it count); then recording stops. */
  maxBytes: number;
  /** Share of requests recorded, 0..1. */
  sampleRate: number;
  /** Strips secrets (authorization, cookies, tokens) and hashes PII in headers. */
  maskHeaders(h: Record<string, string>): Record<string, string>;
  /** Keyed-hashes PII in a JSON body (also given form fields as an object and other text as a string). */
  maskBody(json: unknown): unknown;
  /** Bodies larger than this are not kept (`bodyOmitted: 'too_large'`). Default 64 KiB. */
  maxBodyBytes?: number;
  /** Entries waiting for the writer at most; more are dropped and counted. Default 1000. */
  maxPending?: number;
  /** Body bytes waiting for the writer at most. Default 8 MiB. */
  maxPendingBytes?: number;
  /** Query parameters whose values are redacted. Default: the access log's SECRET_QUERY_PARAMS. */
  secretParams?: readonly string[];
  logger?: Pick<Logger, 'warn' | 'error'>;
}

export interface RecorderStats {
  /** Calls to `record`. */
  seen: number;
  /** Not chosen by sampling. */
  sampledOut: number;
  /** Not recorded because they came from `gateway replay` (x-gateway-replay): a replay is not new traffic. */
  replays: number;
  /** Lines written to the file. */
  written: number;
  /** Dropped because the queue was full. */
  dropped: number;
  /** Not written because the file reached maxBytes. */
  skippedFull: number;
  /** Waiting for the writer. */
  pending: number;
  /** Size of the file as far as this recorder knows. */
  bytes: number;
  full: boolean;
  /** The file could not be opened or written: recording stopped. */
  failed: boolean;
}

export interface Recorder {
  record(entry: RecordedExchange): void;
  /** Writes what is queued, then closes the file. */
  close(): Promise<void>;
  stats(): RecorderStats;
}

/**
 * FNV-1a 32-bit of a string with murmur3's finaliser, as a number in [0, 1). FNV alone leaves ids that differ only in
 * their last characters (`req-1`, `req-2`, …) poorly spread in the high bits; the finaliser mixes every bit.
 */
export function sampleKey(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

interface Queued {
  at: string;
  entry: RecordedExchange;
  headers: Record<string, string | readonly string[] | number | undefined>;
}

const BATCH = 256;
const JSON_TYPE = /[/+]json\b/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

function flatHeaders(h: Queued['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function createRecorder(opts: RecorderOptions): Recorder {
  const maxBodyBytes = opts.maxBodyBytes ?? 65_536;
  const maxPending = opts.maxPending ?? 1000;
  const maxPendingBytes = opts.maxPendingBytes ?? 8 * 1024 * 1024;
  const secret = new Set((opts.secretParams ?? SECRET_QUERY_PARAMS).map((s) => s.toLowerCase()));
  const rate = Math.min(Math.max(opts.sampleRate, 0), 1);
  const s: RecorderStats = {
    seen: 0,
    sampledOut: 0,
    replays: 0,
    written: 0,
    dropped: 0,
    skippedFull: 0,
    pending: 0,
    bytes: 0,
    full: false,
    failed: false,
  };
  const queue: Queued[] = [];
  let pendingBytes = 0;
  let scheduled = false;
  let writing: Promise<void> | null = null;
  let closed = false;
  let fh: FileHandle | null = null;

  const stopped = () => s.full || s.failed;

  function body(entry: RecordedExchange, headers: Record<string, string>): Partial<RecordedLine> {
    if (entry.bodyStreamed) return { bodyOmitted: 'streamed' };
    const raw = entry.body;
    if (raw === undefined || raw === null || raw.length === 0) return {};
    const buf = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (buf.length > maxBodyBytes) return { bodyOmitted: 'too_large' };
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      return { bodyBase64: buf.toString('base64') };
    }
    const type = headers['content-type'] ?? '';
    try {
      if (JSON_TYPE.test(type) || (!type && /^\s*[[{]/.test(text))) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) return { body: JSON.stringify(opts.maskBody(parsed)) };
      }
      if (FORM_TYPE.test(type)) {
        const masked = opts.maskBody(Object.fromEntries(new URLSearchParams(text))) as Record<string, unknown>;
        return {
          body: new URLSearchParams(
            Object.entries(masked).map(([k, v]): [string, string] => [k, String(v)]),
          ).toString(),
        };
      }
      const masked = opts.maskBody(text);
      return { body: typeof masked === 'string' ? masked : JSON.stringify(masked) };
    } catch {
      return { bodyOmitted: 'unmaskable' };
    }
  }

  function line(q: Queued): string {
    const { entry } = q;
    const flat = flatHeaders(q.headers);
    let headers: Record<string, string>;
    try {
      headers = opts.maskHeaders(flat);
    } catch {
      headers = {};
    }
    const out: RecordedLine = {
      at: q.at,
      method: entry.method,
      url: redactQuery(entry.url, secret),
      headers,
      ...body(entry, flat),
      status: entry.status,
      servedBy: entry.servedBy,
      slice: entry.slice,
      requestId: entry.requestId,
    };
    return `${JSON.stringify(out)}\n`;
  }

  async function ensureFile(): Promise<FileHandle> {
    if (fh) return fh;
    fh = await open(opts.file, 'a');
    s.bytes = (await fh.stat()).size;
    return fh;
  }

  async function drain(): Promise<void> {
    while (queue.length && !stopped()) {
      const batch = queue.splice(0, BATCH);
      for (const q of batch) pendingBytes -= q.entry.body?.length ?? 0;
      const handle = await ensureFile();
      const lines: string[] = [];
      let size = 0;
      for (const [i, q] of batch.entries()) {
        const l = line(q);
        const n = Buffer.byteLength(l);
        if (s.bytes + size + n > opts.maxBytes) {
          s.full = true;
          s.skippedFull += batch.length - i + queue.length;
          queue.length = 0;
          pendingBytes = 0;
          break;
        }
        lines.push(l);
        size += n;
      }
      if (lines.length) {
        await handle.write(lines.join(''));
        s.bytes += size;
        s.written += lines.length;
      }
      if (s.full) {
        opts.logger?.warn(
          { file: opts.file, maxBytes: opts.maxBytes, written: s.written },
          'traffic recording stopped: the file reached its size limit (shadow.record.maxBytes)',
        );
      }
    }
  }

  function flush(): void {
    scheduled = false;
    if (writing) return;
    writing = drain()
      .catch((err: unknown) => {
        s.failed = true;
        s.dropped += queue.length;
        queue.length = 0;
        pendingBytes = 0;
        opts.logger?.error({ err, file: opts.file }, 'traffic recording stopped: cannot write the file');
      })
      .finally(() => {
        writing = null;
        if (queue.length && !stopped()) schedule();
      });
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    record(entry) {
      if (closed) return;
      s.seen++;
      if (stopped()) {
        if (s.full) s.skippedFull++;
        return;
      }
      if (entry.headers['x-gateway-replay'] !== undefined) {
        s.replays++;
        return;
      }
      if (rate < 1 && sampleKey(entry.requestId) >= rate) {
        s.sampledOut++;
        return;
      }
      const bodyBytes = entry.body?.length ?? 0;
      if (queue.length >= maxPending || pendingBytes + bodyBytes > maxPendingBytes) {
        s.dropped++;
        return;
      }
      const at = entry.at === undefined ? new Date() : new Date(entry.at);
      queue.push({
        at: Number.isNaN(at.getTime()) ? new Date().toISOString() : at.toISOString(),
        entry,
        headers: { ...entry.headers },
      });
      pendingBytes += bodyBytes;
      schedule();
    },
    async close() {
      closed = true;
      while (writing || (queue.length && !stopped())) {
        if (!writing) flush();
        await writing;
      }
      const handle = fh;
      fh = null;
      await handle?.close();
    },
    stats() {
      return { ...s, pending: queue.length };
    },
  };
}
