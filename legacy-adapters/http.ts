import { type Dispatcher, Pool } from 'undici';
import { Errors, fromUndiciError, GatewayError } from '../src/errors.js';

/** Shared plumbing for legacy adapters: one undici Pool per legacy origin, timeouts, error mapping. */
export interface LegacyHttpOptions {
  /** Base URL of the legacy system, e.g. http://127.0.0.1:8090 (a path prefix is kept). */
  url: string;
  /** Name used in errors, logs and metrics (ticketing, crm, orders, conversations). */
  system: string;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  connections?: number;
  /** Max response body read into memory. */
  maxBodyBytes?: number;
  dispatcher?: Dispatcher;
}

export interface LegacyResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Request headers forwarded from the client (credentials, conditionals, trace context). */
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface LegacyHttp {
  readonly system: string;
  readonly origin: string;
  /** The absolute URL a call to `path` goes to (origin, the base URL's path prefix, `path`). */
  urlOf(path: string): string;
  call(method: Dispatcher.HttpMethod, path: string, opts?: CallOptions): Promise<LegacyResponse>;
  close(): Promise<void>;
}

/** The absolute URL of `path` on a legacy base URL (its path prefix kept), as every call and capture names it. */
export function legacyUrl(baseUrl: string | URL, path: string): string {
  const base = typeof baseUrl === 'string' ? new URL(baseUrl) : baseUrl;
  return `${base.origin}${base.pathname.replace(/\/$/, '')}${path}`;
}

export function createLegacyHttp(opts: LegacyHttpOptions): LegacyHttp {
  const base = new URL(opts.url);
  const basePath = base.pathname.replace(/\/$/, '');
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const ownPool = opts.dispatcher === undefined;
  const dispatcher =
    opts.dispatcher ??
    new Pool(base.origin, {
      connections: opts.connections ?? 32,
      connectTimeout: opts.connectTimeoutMs ?? 2_000,
      headersTimeout: opts.headersTimeoutMs ?? 10_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 10_000,
    });
  return {
    system: opts.system,
    origin: base.origin,
    urlOf: (path) => legacyUrl(base, path),
    async call(method, path, callOpts = {}) {
      let res: Dispatcher.ResponseData;
      try {
        res = await dispatcher.request({
          origin: base.origin,
          method,
          path: basePath + path,
          headers: callOpts.headers ?? {},
          body: callOpts.body ?? null,
          signal: callOpts.signal ?? null,
        });
      } catch (err) {
        throw fromUndiciError(err, 'legacy', opts.system);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > maxBody) {
            res.body.destroy();
            throw new GatewayError(
              'GW_UPSTREAM_BODY_TOO_LARGE',
              502,
              `${opts.system} answer exceeds ${maxBody} bytes`,
              {
                target: 'legacy',
                system: opts.system,
              },
            );
          }
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        throw err instanceof GatewayError ? err : fromUndiciError(err, 'legacy', opts.system);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, size) };
    },
    async close() {
      if (ownPool) await dispatcher.close();
    },
  };
}

/**
 * A legacy read the client's own request has already made: legacy's answer to a GET of `url`, which a shadow
 * candidate asking exactly the same may reuse instead of reading legacy again (src/shadow/primed.ts decides when).
 */
export interface PrimedRead {
  /** Absolute URL (as `legacyUrl` names it) the client's request went to. */
  url: string;
  /**
   * The client request's values of the headers legacy's answer varies on (its `Vary`; lower-case names, null: the
   * client did not send it). A call reuses the answer only when it sends the same values.
   */
  vary: Record<string, string | null>;
  response: { status: number; headers: Record<string, string>; body: Buffer };
}

/**
 * `http` with one read answered from memory: a GET of the primed URL with the same values of the `Vary` headers
 * gets the primed answer (`onHit` counts it); every other call goes to legacy as before. Closing it leaves the
 * pool to its owner.
 */
export function withPrimedRead(http: LegacyHttp, read: PrimedRead, onHit: () => void): LegacyHttp {
  const matches = (method: string, path: string, opts: CallOptions | undefined): boolean => {
    if (method !== 'GET' || (opts?.body !== undefined && opts.body !== null) || http.urlOf(path) !== read.url)
      return false;
    const sent = new Map<string, string>();
    for (const [k, v] of Object.entries(opts?.headers ?? {})) sent.set(k.toLowerCase(), v);
    for (const [name, value] of Object.entries(read.vary)) if ((sent.get(name) ?? null) !== value) return false;
    return true;
  };
  return {
    system: http.system,
    origin: http.origin,
    urlOf: (path) => http.urlOf(path),
    async call(method, path, callOpts) {
      if (!matches(method, path, callOpts)) return http.call(method, path, callOpts);
      onHit();
      const { status, headers, body } = read.response;
      return { status, headers: { ...headers }, body };
    },
    close: () => Promise.resolve(),
  };
}

/** Parses a JSON body (text already decoded, or UTF-8); a legacy answer that is not JSON is a bad upstream response. */
export function parseJsonBody(res: LegacyResponse, system: string, text: string = res.body.toString('utf8')): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw Errors.UPSTREAM_BAD_RESPONSE.create({
      cause: err,
      target: 'legacy',
      system,
      detail: `${system} answered ${res.status} with a body that is not JSON`,
    });
  }
}
