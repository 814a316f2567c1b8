/**
 * The gateway's error taxonomy. Every error the gateway itself produces is a GatewayError with a stable `GW_*`
 * code; clients get it as `application/problem+json`. Legacy's own errors are never wrapped: they reach the client
 * verbatim. Flag-provider and Redis failures are never thrown at clients.
 */
export type Target = 'legacy' | 'modern';

export interface GatewayErrorOptions {
  cause?: unknown;
  target?: Target;
  system?: string;
  detail?: string;
}

export class GatewayError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retryable: boolean;
  /** Whether `message` may be shown to clients. */
  readonly expose: boolean;
  readonly target: Target | undefined;
  readonly system: string | undefined;

  constructor(
    code: string,
    statusCode: number,
    message: string,
    opts: GatewayErrorOptions & { retryable?: boolean; expose?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.statusCode = statusCode;
    this.retryable = opts.retryable ?? false;
    this.expose = opts.expose ?? statusCode < 500;
    this.target = opts.target;
    this.system = opts.system;
  }
}

function define(code: string, statusCode: number, title: string, retryable = false) {
  return {
    code,
    statusCode,
    title,
    create: (opts: GatewayErrorOptions = {}) =>
      new GatewayError(code, statusCode, opts.detail ?? title, { ...opts, retryable, expose: true }),
  } as const;
}

/** The catalogue. Codes are stable: dashboards, alerts and clients may key on them. */
export const Errors = {
  UPSTREAM_UNAVAILABLE: define('GW_UPSTREAM_UNAVAILABLE', 502, 'Upstream unavailable', true),
  UPSTREAM_RESET: define('GW_UPSTREAM_RESET', 502, 'Upstream closed the connection', true),
  UPSTREAM_BAD_RESPONSE: define('GW_UPSTREAM_BAD_RESPONSE', 502, 'Upstream sent an invalid response'),
  UPSTREAM_TIMEOUT: define('GW_UPSTREAM_TIMEOUT', 504, 'Upstream timed out', true),
  UPSTREAM_STATUS: define('GW_UPSTREAM_STATUS', 502, 'Upstream answered with an error status'),
  UPSTREAM_ERROR: define('GW_UPSTREAM_ERROR', 502, 'Upstream call failed'),
  DEADLINE_EXCEEDED: define('GW_DEADLINE_EXCEEDED', 504, 'Deadline exceeded', true),
  CONTRACT_INVALID: define('GW_CONTRACT_INVALID', 502, 'Response does not match its contract'),
  MAPPING_ERROR: define('GW_MAPPING_ERROR', 502, 'Legacy payload could not be mapped'),
  HANDLER_ERROR: define('GW_HANDLER_ERROR', 500, 'New handler failed'),
  BAD_REQUEST: define('GW_BAD_REQUEST', 400, 'Bad request'),
  PAYLOAD_TOO_LARGE: define('GW_PAYLOAD_TOO_LARGE', 413, 'Payload too large'),
  UNAUTHORIZED: define('GW_UNAUTHORIZED', 401, 'Missing or invalid token'),
  FORBIDDEN: define('GW_FORBIDDEN', 403, 'Token lacks the required role'),
  NOT_FOUND: define('GW_NOT_FOUND', 404, 'Not found'),
  CLIENT_ABORTED: define('GW_CLIENT_ABORTED', 499, 'Client closed the request'),
  INTERNAL: define('GW_INTERNAL', 500, 'Internal gateway error'),
} as const;

/** Maps undici (and node socket) errors onto the taxonomy. The one place that knows undici error codes. */
export function fromUndiciError(err: unknown, target: Target, system: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const rawCode = (err as { code?: unknown } | null)?.code;
  // DOMException codes are numbers (AbortSignal.timeout() → 23): use the name instead.
  const name = (err as { name?: unknown } | null)?.name;
  const code =
    typeof rawCode === 'string' ? rawCode : name === 'TimeoutError' || name === 'AbortError' ? 'ABORT_ERR' : '';
  const opts = { cause: err, target, system };
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ETIMEDOUT':
      return Errors.UPSTREAM_TIMEOUT.create({ ...opts, detail: `${system} did not answer in time (${code})` });
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return Errors.UPSTREAM_UNAVAILABLE.create({ ...opts, detail: `${system} is unreachable (${code})` });
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return Errors.UPSTREAM_RESET.create({ ...opts, detail: `${system} closed the connection (${code})` });
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_INFO':
      return Errors.UPSTREAM_BAD_RESPONSE.create({ ...opts, detail: `${system} sent an invalid response (${code})` });
    case 'UND_ERR_INVALID_ARG':
    case 'ERR_INVALID_ARG_TYPE':
    case 'ERR_INVALID_ARG_VALUE':
      // Our request could not be formed: a gateway bug or an input we should have rejected, not legacy's fault.
      return Errors.INTERNAL.create({ ...opts, detail: `request to ${system} could not be built (${code})` });
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return Errors.DEADLINE_EXCEEDED.create({ ...opts, detail: `call to ${system} was aborted` });
    default:
      if (code.startsWith('HPE_')) {
        return Errors.UPSTREAM_BAD_RESPONSE.create({ ...opts, detail: `${system} sent an invalid response (${code})` });
      }
      return Errors.UPSTREAM_ERROR.create({ ...opts, detail: `${system} call failed${code ? ` (${code})` : ''}` });
  }
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  requestId?: string;
}

/** RFC 9457 problem document for a gateway error. */
export function toProblem(err: GatewayError, requestId?: string): Problem {
  const p: Problem = {
    type: `https://gateway.invalid/problems/${err.code.toLowerCase().replace(/_/g, '-')}`,
    title: titleOf(err.code),
    status: err.statusCode,
    code: err.code,
  };
  if (err.expose) p.detail = err.message;
  if (requestId !== undefined) p.requestId = requestId;
  return p;
}

const TITLES = new Map<string, string>(Object.values(Errors).map((e) => [e.code, e.title]));
function titleOf(code: string): string {
  return TITLES.get(code) ?? 'Gateway error';
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
