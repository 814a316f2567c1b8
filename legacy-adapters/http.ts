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
  call(method: Dispatcher.HttpMethod, path: string, opts?: CallOptions): Promise<LegacyResponse>;
  close(): Promise<void>;
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
