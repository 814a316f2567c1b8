import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths always redacted; config adds PII fields. Redaction is compiled once by pino. */
const BASE_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'config.admin.tokens[*].token',
  'config.flags.unleashApiToken',
];

export interface LoggerOptions {
  level: string;
  redact?: readonly string[];
  destination?: DestinationStream;
  /** Fields bound on every line. */
  base?: Record<string, unknown>;
}

/**
 * Access logging is on the hot path: lines are buffered (up to 4 KiB, flushed at least every 250 ms and on
 * shutdown) so a busy gateway makes one write per batch, not one per request — the profile showed the per-line
 * write at ~13 % of passthrough CPU. The price: a hard crash can lose the last quarter second of lines.
 */
export function createLogger(opts: LoggerOptions): Logger {
  let destination = opts.destination;
  if (!destination) {
    const boom = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    setInterval(() => {
      try {
        boom.flush();
      } catch {
        // a flush while a write is in flight is refused; the next tick retries
      }
    }, 250).unref();
    destination = boom;
  }
  return pino(
    {
      level: opts.level,
      base: opts.base ?? { service: 'gateway' },
      redact: { paths: [...BASE_REDACT, ...(opts.redact ?? [])], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * Redacts a query string for the access log: values of any parameter named like a secret or configured PII field are
 * replaced. Cheap on the common case (no query).
 */
export function redactQuery(url: string, names: ReadonlySet<string>): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const params = url.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as string;
    const eq = p.indexOf('=');
    const key = decodeSafe(eq === -1 ? p : p.slice(0, eq)).toLowerCase();
    if (names.has(key)) {
      params[i] = `${eq === -1 ? p : p.slice(0, eq)}=[redacted]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.join('&')}` : url;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const SECRET_QUERY_PARAMS: readonly string[] = [
  'token',
  'access_token',
  'api_key',
  'apikey',
  'password',
  'secret',
  'email',
  'phone',
];
