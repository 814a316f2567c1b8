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
 * Access logging is on the hot path, so lines are batched before they reach the file descriptor; see
 * `createBatchedDestination`. The price: a hard crash can lose the last quarter second of lines (shutdown flushes).
 */
export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: opts.base ?? { service: 'gateway' },
      redact: { paths: [...BASE_REDACT, ...(opts.redact ?? [])], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? createBatchedDestination({ dest: 1 }),
  );
}

export interface BatchedDestinationOptions {
  /** File descriptor or path. */
  dest: number | string;
  /** Lines are handed to the writer once this many characters are pending (default 16 KiB). */
  batchChars?: number;
  /** …and at least this often (default 250 ms). */
  flushMs?: number;
}

export interface BatchedDestination extends DestinationStream {
  /** Hands pending lines to the writer and calls back once they are written (shutdown). */
  flush(cb?: (err?: Error) => void): void;
  flushSync(): void;
}

/**
 * The log destination production uses. Lines are collected in an array and joined into one string per batch (16 KiB
 * or 250 ms), which sonic-boom writes asynchronously (one `write(2)` on libuv's pool per batch). Why not sonic-boom's
 * own `minLength`: it appends each line to its pending string with `+=` and measures that string with
 * `Buffer.byteLength` on every write, which flattens it, so the cost per line grows with the batch (4 KiB: ~3.3 µs
 * of main-thread time per line, 16 KiB: ~4.7 µs; this batching: ~1.1–1.5 µs, pino's serialisation included).
 */
export function createBatchedDestination(opts: BatchedDestinationOptions): BatchedDestination {
  const batchChars = opts.batchChars ?? 16_384;
  // minLength 1: every batch is written at once, and flush(cb) waits for the write in flight (with minLength 0,
  // sonic-boom's flush calls back immediately).
  const boom = pino.destination({ dest: opts.dest, sync: false, minLength: 1 });
  let lines: string[] = [];
  let chars = 0;
  const drain = (): void => {
    if (chars === 0) return;
    const batch = lines.length === 1 ? (lines[0] as string) : lines.join('');
    lines = [];
    chars = 0;
    try {
      boom.write(batch);
    } catch {
      // destroyed (its fd failed and sonic-boom emitted the error): nothing can be written any more
    }
  };
  setInterval(drain, opts.flushMs ?? 250).unref();
  const destination: BatchedDestination = {
    write(line: string) {
      lines.push(line);
      chars += line.length;
      if (chars >= batchChars) drain();
      return true;
    },
    flush(cb) {
      drain();
      try {
        boom.flush((err) => cb?.(err ?? undefined));
      } catch (err) {
        cb?.(err as Error);
      }
    },
    flushSync() {
      drain();
      boom.flushSync();
    },
  };
  flushOnExit(destination);
  return destination;
}

// Lines still batched when the process exits (`process.exit` after shutdown: "gateway stopped") are written
// synchronously, as pino does for its own destinations. Weak references: a destination nobody logs to any more is not
// kept alive for this.
const batched = new Set<WeakRef<BatchedDestination>>();
let exitHooked = false;
function flushOnExit(d: BatchedDestination): void {
  batched.add(new WeakRef(d));
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const ref of batched) {
      try {
        ref.deref()?.flushSync();
      } catch {
        // fd not open yet or already failed: nothing more can be written
      }
    }
  });
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
