import type { IncomingMessage, ServerResponse } from 'node:http';
import FindMyWay from 'find-my-way';
import type { z } from 'zod';
import type { Adapters } from '../../routes/types.js';
import { Errors, GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { decodeJsonBody, readBody } from '../pipeline/body.js';
import { classifyFailure, withDeadline } from '../pipeline/fallback.js';
import type { OriginRewriter } from '../proxy/rewrite.js';
import type { ContractEndpoint } from './types.js';

export interface ContractApiOptions {
  /** Path prefix, e.g. `/contracts`; endpoints live at `<prefix>/v1/…` and `<prefix>/v2/…`. */
  prefix: string;
  endpoints: readonly ContractEndpoint[];
  adapters: Adapters;
  logger: Logger;
  metrics: Metrics;
  rewriter: OriginRewriter | null;
  deadlineMs: number;
  maxBodyBytes: number;
  forwardHeaders(req: IncomingMessage): Record<string, string>;
}

interface Issue {
  path: string;
  message: string;
}

/**
 * The contract API for new clients: the same resources as legacy, served as v1/v2 contracts. Requests are
 * validated (a 400 problem lists every invalid field), answers are validated against their contract before they
 * are sent. Off by default: when on, it reserves its prefix on the public port.
 */
export function createContractApi(o: ContractApiOptions) {
  const fmw = FindMyWay({ caseSensitive: true, ignoreTrailingSlash: false });
  for (const e of o.endpoints) fmw.on(e.method, `${o.prefix}/${e.version}${e.path}`, () => {}, e);

  function send(
    res: ServerResponse,
    status: number,
    body: unknown,
    type = 'application/json; charset=utf-8',
    publicOrigin?: string,
  ) {
    let buf: Buffer = Buffer.from(JSON.stringify(body));
    if (o.rewriter && publicOrigin) buf = o.rewriter.body(buf, publicOrigin) ?? buf;
    res.writeHead(status, { 'content-type': type, 'content-length': buf.length, 'cache-control': 'no-store' });
    res.end(buf);
  }
  function problem(res: ServerResponse, err: GatewayError, requestId: string, errors?: Issue[]) {
    send(res, err.statusCode, { ...toProblem(err, requestId), ...(errors ? { errors } : {}) }, PROBLEM_CONTENT_TYPE);
  }

  function issuesOf(where: string, result: z.ZodSafeParseResult<unknown>): Issue[] {
    if (result.success) return [];
    return result.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  }

  /** True when the request belongs to the contract API (it is then answered here). */
  function matches(url: string): boolean {
    return url.startsWith(`${o.prefix}/`);
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    publicOrigin: string,
  ): Promise<{ route: string; status: number; error?: GatewayError }> {
    const url = new URL(req.url ?? '/', 'http://x');
    const found = fmw.find((req.method ?? 'GET') as 'GET', url.pathname);
    if (!found) {
      const err = Errors.NOT_FOUND.create({ detail: `no contract endpoint ${req.method} ${url.pathname}` });
      problem(res, err, requestId);
      return { route: 'contracts.unknown', status: 404 };
    }
    const e = found.store as ContractEndpoint;
    try {
      const params = e.params.safeParse(found.params);
      const query = e.query.safeParse(Object.fromEntries(url.searchParams));
      let body: z.ZodSafeParseResult<unknown> = { success: true, data: undefined };
      const issues = [...issuesOf('params', params), ...issuesOf('query', query)];
      if (e.body) {
        const raw = await readBody(req, o.maxBodyBytes);
        if (raw.kind === 'overflow') {
          raw.stream.resume();
          throw Errors.PAYLOAD_TOO_LARGE.create({ detail: `request body exceeds ${o.maxBodyBytes} bytes` });
        }
        const decoded = decodeJsonBody(raw.body);
        const parsed: unknown = decoded.ok ? decoded.value : undefined;
        if (!decoded.ok) {
          issues.push({
            path: 'body',
            message: decoded.reason === 'invalid_utf8' ? 'not valid UTF-8' : 'not valid JSON',
          });
        }
        if (!issues.some((i) => i.path === 'body')) {
          body = e.body.safeParse(parsed);
          issues.push(...issuesOf('body', body));
        }
      }
      if (issues.length) {
        problem(
          res,
          Errors.BAD_REQUEST.create({ detail: `${issues.length} invalid field${issues.length === 1 ? '' : 's'}` }),
          requestId,
          issues,
        );
        return { route: e.id, status: 400 };
      }
      const gaps = o.metrics.mappingGaps.labels(e.id);
      const ac = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) ac.abort(Errors.CLIENT_ABORTED.create());
      });
      const out = await withDeadline(o.deadlineMs, ac, (signal) =>
        e.handle(
          { params: params.data, query: query.data, body: body.success ? body.data : undefined },
          {
            adapters: o.adapters,
            signal,
            forwardHeaders: o.forwardHeaders(req),
            headers: req.headers,
            recordGaps: (p) => gaps.inc(p.length),
          },
        ),
      );
      const checked = e.response.safeParse(out.body);
      if (!checked.success) {
        o.logger.error(
          { route: e.id, issues: checked.error.issues.slice(0, 5) },
          'contract answer failed its own schema',
        );
        throw Errors.CONTRACT_INVALID.create();
      }
      send(res, out.status, checked.data, undefined, publicOrigin);
      return { route: e.id, status: out.status };
    } catch (err) {
      const gw =
        err instanceof GatewayError
          ? err
          : classifyFailure(err) === 'contract_invalid'
            ? Errors.MAPPING_ERROR.create({ cause: err, detail: (err as Error).message })
            : classifyFailure(err) === 'timeout'
              ? Errors.DEADLINE_EXCEEDED.create({ cause: err })
              : Errors.INTERNAL.create({ cause: err });
      if (gw.statusCode >= 500) o.logger.warn({ route: e.id, err }, 'contract endpoint failed');
      if (!res.headersSent && !res.destroyed) problem(res, gw, requestId);
      return { route: e.id, status: gw.statusCode, error: gw };
    }
  }

  return { matches, handle };
}

export type ContractApi = ReturnType<typeof createContractApi>;
