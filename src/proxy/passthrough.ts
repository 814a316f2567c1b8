import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { PassThrough, pipeline, type Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { Dispatcher } from 'undici';
import { Errors, fromUndiciError, type GatewayError } from '../errors.js';
import { connectionTokens, isHopByHop, upstreamRequestHeaders } from './headers.js';
import { sendProblem } from './problem.js';
import type { OriginRewriter, StreamRewriter } from './rewrite.js';

/**
 * The passthrough: one request to legacy, streamed both ways, through undici's dispatch API (raw header buffers, no
 * intermediate body stream). Only JSON bodies are ever touched, to rewrite legacy's absolute URLs: small ones in
 * memory (original bytes kept when nothing matched), large or unknown-length ones while streaming.
 */
export interface PassthroughOptions {
  dispatcher: Dispatcher;
  /** Legacy authority for the Host header, e.g. 127.0.0.1:8090. */
  upstreamHost: string;
  /** Path prefix of legacy's base URL ('' when legacy lives at /). */
  basePath: string;
  rewriter: OriginRewriter | null;
  maxRewriteBufferBytes: number;
  trusted: (peer: string | undefined) => boolean;
  system?: string;
}

export interface ForwardResult {
  status: number;
  /** Set when the gateway answered with its own error (no legacy answer reached the client). */
  error?: GatewayError;
  /** The client went away before the response finished. */
  aborted?: boolean;
}

export interface ResponseCapture {
  /** Max body bytes captured; a larger body yields `truncated`. */
  maxBytes: number;
  onCaptured(status: number, headers: Record<string, string>, body: Buffer | 'truncated' | null): void;
}

export interface ForwardCall {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  publicOrigin: string;
  /** Body to send instead of the client's stream (a buffered copy after a failed new path). */
  body?: Buffer | Readable | null;
  /** Extra request headers (e.g. traceparent) appended. */
  extraHeaders?: readonly string[];
  capture?: ResponseCapture;
  /** Flat name/value list added to the response (decision headers, when enabled). */
  extraResponseHeaders?: readonly string[];
  done(result: ForwardResult): void;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);
const REWRITE_HEADERS = new Set(['location', 'content-location', 'link']);
const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};
const ENCODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGzip(),
  'x-gzip': () => zlib.createGzip(),
  deflate: () => zlib.createDeflate(),
  br: () => zlib.createBrotliCompress(),
};

export function createPassthrough(opts: PassthroughOptions) {
  const system = opts.system ?? 'legacy';

  function forward(call: ForwardCall, attempt = 0): void {
    const { req } = call;
    const method = req.method ?? 'GET';
    let body: Buffer | Readable | null;
    if (call.body !== undefined) body = call.body;
    else body = hasBody(req) ? req : null;
    const headers = upstreamRequestHeaders(req, { upstreamHost: opts.upstreamHost, trusted: opts.trusted });
    if (call.extraHeaders) headers.push(...call.extraHeaders);
    if (Buffer.isBuffer(body)) setContentLength(headers, body.length);
    const handler = new ProxyHandler(call, opts, method, system, (err) => {
      // One retry only: idempotent, nothing streamed yet, connection reset before any response byte.
      const code = (err as { code?: string }).code ?? '';
      if (
        attempt === 0 &&
        IDEMPOTENT.has(method) &&
        (body === null || Buffer.isBuffer(body)) &&
        RETRYABLE_CODES.has(code)
      ) {
        forward(call, 1);
        return true;
      }
      return false;
    });
    opts.dispatcher.dispatch(
      { method, path: opts.basePath + (req.url ?? '/'), headers, body, idempotent: false, blocking: false },
      handler,
    );
  }
  /**
   * `OPTIONS *` (asterisk-form) cannot go through undici, which only sends origin-form paths. It is rare and
   * bodiless, so node's own client carries it: one request, legacy's answer relayed with hop-by-hop headers dropped.
   */
  function forwardAsterisk(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    done: (r: ForwardResult) => void,
  ): void {
    const target = new URL(`http://${opts.upstreamHost}`);
    const headers = upstreamRequestHeaders(req, { upstreamHost: opts.upstreamHost, trusted: opts.trusted });
    const up = httpRequest({
      host: target.hostname,
      port: target.port || 80,
      method: req.method,
      path: '*',
      headers,
      timeout: 10_000,
    });
    up.on('response', (ur) => {
      const out: string[] = [];
      const conn = connectionTokens(ur.headers.connection);
      for (let i = 0; i < ur.rawHeaders.length; i += 2) {
        const lower = (ur.rawHeaders[i] as string).toLowerCase();
        if (!isHopByHop(lower) && !conn?.has(lower))
          out.push(ur.rawHeaders[i] as string, ur.rawHeaders[i + 1] as string);
      }
      res.writeHead(ur.statusCode ?? 502, ur.statusMessage ?? '', out);
      ur.pipe(res);
      ur.on('end', () => done({ status: ur.statusCode ?? 502 }));
    });
    const fail = (err: Error) => {
      const gw = fromUndiciError(err, 'legacy', system);
      if (!res.headersSent) sendProblem(res, gw, requestId);
      else res.destroy();
      done({ status: gw.statusCode, error: gw });
    };
    up.on('timeout', () => up.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    up.on('error', fail);
    up.end();
  }

  /**
   * The headers legacy gets for `req` through the passthrough (hop-by-hop dropped, forwarding headers set by the
   * gateway), without body framing: for the gateway's own repeat of a bodiless read, which must not carry the
   * client's forwarding headers either.
   */
  function readHeaders(req: IncomingMessage): string[] {
    const headers = upstreamRequestHeaders(req, { upstreamHost: opts.upstreamHost, trusted: opts.trusted });
    removeHeader(headers, 'content-length');
    return headers;
  }

  return { forward, forwardAsterisk, readHeaders };
}

function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

function setContentLength(headers: string[], len: number): void {
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() === 'content-length') headers.splice(i, 2);
  }
  headers.push('content-length', String(len));
}

type BodyMode = 'direct' | 'buffer' | 'stream';

class ProxyHandler implements Dispatcher.DispatchHandler {
  private abortFn: ((err?: Error) => void) | null = null;
  private started = false;
  private finished = false;
  private mode: BodyMode = 'direct';
  private status = 0;
  private statusText = '';
  private outHeaders: string[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  private encoding = '';
  private sink: PassThrough | null = null;
  /** Identity JSON rewritten chunk by chunk straight into the response (no buffering, no extra streams). */
  private inline: StreamRewriter | null = null;
  private captureChunks: Buffer[] | null = null;
  private captureSize = 0;
  private captureHeaders: Record<string, string> = {};
  private readonly onClose: () => void;
  private readonly call: ForwardCall;
  private readonly opts: PassthroughOptions;
  private readonly method: string;
  private readonly system: string;
  private readonly retry: (err: Error) => boolean;
  private resumeFn: (() => void) | null = null;

  constructor(
    call: ForwardCall,
    opts: PassthroughOptions,
    method: string,
    system: string,
    retry: (err: Error) => boolean,
  ) {
    this.call = call;
    this.opts = opts;
    this.method = method;
    this.system = system;
    this.retry = retry;
    this.onClose = () => {
      if (!call.res.writableFinished && !this.finished) {
        this.finished = true;
        this.abortFn?.(Errors.CLIENT_ABORTED.create());
        call.capture?.onCaptured(0, {}, null);
        call.done({ status: this.status || 499, aborted: true });
      }
    };
    call.res.once('close', this.onClose);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.finished) abort(Errors.CLIENT_ABORTED.create());
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx informational: not forwarded (101 goes through the websocket tunnel)
    if (this.finished) return false;
    this.started = true;
    this.resumeFn = resume;
    this.status = statusCode;
    this.statusText = statusText;
    const { rewriter, maxRewriteBufferBytes } = this.opts;
    const publicOrigin = this.call.publicOrigin;
    let connTokens: Set<string> | null = null;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      if (
        (rawHeaders[i] as Buffer).length === 10 &&
        (rawHeaders[i] as Buffer).toString('latin1').toLowerCase() === 'connection'
      ) {
        connTokens = connectionTokens((rawHeaders[i + 1] as Buffer).toString('latin1'));
      }
    }
    let json = false;
    let contentLength = -1;
    const out = this.outHeaders;
    const capture = this.call.capture !== undefined;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = (rawHeaders[i] as Buffer).toString('latin1');
      let value = (rawHeaders[i + 1] as Buffer).toString('latin1');
      const lower = name.toLowerCase();
      if (isHopByHop(lower) || connTokens?.has(lower)) continue;
      if (lower === 'content-type') json = isJson(value);
      else if (lower === 'content-length') contentLength = Number(value);
      else if (lower === 'content-encoding') this.encoding = value.trim().toLowerCase();
      else if (rewriter && REWRITE_HEADERS.has(lower)) value = rewriter.headerValue(value, publicOrigin);
      else if (rewriter && lower === 'set-cookie') value = rewriter.setCookie(value, publicOrigin);
      if (capture) this.captureHeaders[lower] = value;
      out.push(name, value);
    }
    const bodyless = this.method === 'HEAD' || statusCode === 204 || statusCode === 304;
    if (capture && !bodyless) this.captureChunks = [];
    if (rewriter && json) {
      const identity = this.encoding === '' || this.encoding === 'identity';
      // Legacy origin and public origin of equal length: rewriting never changes the body length.
      const sameLength = identity && rewriter.legacyOrigin.length === publicOrigin.length;
      if (bodyless) {
        // A GET through the gateway may carry a different length than legacy announced: do not repeat legacy's.
        if (this.method === 'HEAD' && !sameLength) removeHeader(out, 'content-length');
      } else if (sameLength || (identity && contentLength < 0)) {
        this.inline = rewriter.stream(publicOrigin);
        if (!sameLength) removeHeader(out, 'content-length');
      } else if (identity || DECODERS[this.encoding]) {
        if (contentLength >= 0 && contentLength <= maxRewriteBufferBytes) {
          this.mode = 'buffer';
          return true;
        }
        this.startStream();
        return true;
      }
    }
    this.writeHead();
    return true;
  }

  private writeHead(): void {
    const res = this.call.res;
    if (res.destroyed) return;
    if (this.call.extraResponseHeaders) this.outHeaders.push(...this.call.extraResponseHeaders);
    res.writeHead(this.status, this.statusText, this.outHeaders);
  }

  private startStream(): void {
    // Unknown or large length: decode → rewrite → encode while streaming; framing becomes chunked.
    removeHeader(this.outHeaders, 'content-length');
    this.writeHead();
    const rewriter = this.opts.rewriter as OriginRewriter;
    const sr = rewriter.stream(this.call.publicOrigin);
    const rewrite = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        cb(null, sr.push(chunk));
      },
      flush(cb) {
        cb(null, sr.end());
      },
    });
    const source = new PassThrough();
    const stages: NodeJS.ReadWriteStream[] = [source];
    const dec = DECODERS[this.encoding];
    const enc = ENCODERS[this.encoding];
    if (dec && enc) stages.push(dec(), rewrite, enc());
    else stages.push(rewrite);
    this.sink = source;
    pipeline([...stages, this.call.res] as unknown as [Readable, NodeJS.WritableStream], (err) => {
      if (err && !this.finished) this.fail(fromUndiciError(err, 'legacy', this.system));
    });
  }

  onData(chunk: Buffer): boolean {
    if (this.finished) return false;
    if (this.captureChunks) {
      this.captureSize += chunk.length;
      if (this.captureSize <= (this.call.capture as ResponseCapture).maxBytes) this.captureChunks.push(chunk);
    }
    if (this.mode === 'buffer') {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return true;
    }
    const target = this.sink ?? this.call.res;
    const data = this.inline ? this.inline.push(chunk) : chunk;
    if (data.length === 0 || target.write(data)) return true;
    // Backpressure: pause legacy's socket until the client (or the rewrite pipeline) drains.
    if (this.resumeFn) target.once('drain', this.resumeFn);
    return false;
  }

  onComplete(): void {
    if (this.finished) return;
    if (this.mode === 'buffer') {
      this.finishBuffered();
      return;
    }
    if (this.sink) {
      this.sink.end();
      this.call.res.once('finish', () => this.complete());
      return;
    }
    if (this.inline) this.call.res.end(this.inline.end());
    else this.call.res.end();
    this.complete();
  }

  private finishBuffered(): void {
    const original = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    const rewriter = this.opts.rewriter as OriginRewriter;
    let out: Buffer = original;
    try {
      const dec = this.encoding && this.encoding !== 'identity' ? this.encoding : '';
      const plain = dec ? decodeSync(dec, original) : original;
      const rewritten = rewriter.body(plain, this.call.publicOrigin);
      if (rewritten) out = dec ? encodeSync(dec, rewritten) : rewritten;
    } catch {
      out = original; // undecodable body: send legacy's bytes as they are
    }
    removeHeader(this.outHeaders, 'content-length');
    this.outHeaders.push('content-length', String(out.length));
    this.writeHead();
    this.call.res.end(out);
    this.complete();
  }

  private complete(): void {
    if (this.finished) return;
    this.finished = true;
    this.call.res.off('close', this.onClose);
    if (this.captureChunks && this.call.capture) {
      const cap = this.call.capture;
      cap.onCaptured(
        this.status,
        this.captureHeaders,
        this.captureSize > cap.maxBytes ? 'truncated' : Buffer.concat(this.captureChunks, this.captureSize),
      );
    } else if (this.call.capture) {
      this.call.capture.onCaptured(this.status, this.captureHeaders, null);
    }
    this.call.done({ status: this.status });
  }

  onError(err: Error): void {
    if (this.finished) return;
    if (!this.started && this.retry(err)) {
      this.finished = true;
      this.call.res.off('close', this.onClose);
      return;
    }
    this.fail(fromUndiciError(err, 'legacy', this.system));
  }

  private fail(err: GatewayError): void {
    if (this.finished) return;
    this.finished = true;
    this.call.res.off('close', this.onClose);
    this.call.capture?.onCaptured(0, {}, null);
    const res = this.call.res;
    if (res.headersSent || this.started) {
      // Part of legacy's answer is already out: the honest signal is a broken connection, not a second status.
      res.destroy(err);
      this.call.done({ status: this.status, error: err });
      return;
    }
    this.call.done({ status: err.statusCode, error: err });
  }
}

function isJson(contentType: string): boolean {
  const ct = contentType.toLowerCase();
  return ct.includes('/json') || ct.includes('+json');
}

function removeHeader(headers: string[], lowerName: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if ((headers[i] as string).toLowerCase() === lowerName) headers.splice(i, 2);
  }
}

function decodeSync(encoding: string, buf: Buffer): Buffer {
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gunzipSync(buf);
  if (encoding === 'deflate') return zlib.inflateSync(buf);
  if (encoding === 'br') return zlib.brotliDecompressSync(buf);
  throw new Error(`unsupported encoding ${encoding}`);
}

function encodeSync(encoding: string, buf: Buffer): Buffer {
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gzipSync(buf);
  if (encoding === 'deflate') return zlib.deflateSync(buf);
  if (encoding === 'br') return zlib.brotliCompressSync(buf);
  throw new Error(`unsupported encoding ${encoding}`);
}
