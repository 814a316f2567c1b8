import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * A real Unleash OSS server (tools/unleash, unleash-server 8.2.0) as a child process on a free port, against its own
 * PostgreSQL database. Used by the global setup (one server for the run) and by tests that stop and restart Unleash
 * (each on a database of its own). Recipe and measurements: /work/shared/notes/unleash-local.md.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const UNLEASH_SERVER_JS = resolve(ROOT, 'tools/unleash/node_modules/unleash-server/dist/server.js');
export const PG = { host: '127.0.0.1', port: '5432', user: 'postgres' } as const;
export const UNLEASH_ADMIN_TOKEN = '*:*.unleash-insecure-admin-api-token';
export const UNLEASH_CLIENT_TOKEN = 'default:development.unleash-insecure-client-api-token';
const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
/** Kept for failure messages: the tail of the server's output. */
const LOG_LIMIT = 64 * 1024;

const execFileAsync = promisify(execFile);

export async function psql(sql: string): Promise<void> {
  try {
    await execFileAsync(
      'psql',
      ['-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-qAtc', sql],
      { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' }, timeout: 30_000 },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `psql as ${PG.user}@${PG.host}:${PG.port} failed (${sql}): ${stderr.trim() || String(err)}. ` +
        'Is PostgreSQL running with trust auth for 127.0.0.1? Run scripts/test-setup.sh.',
    );
  }
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function healthy(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function waitHealthy(base: string, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await healthy(base)) return;
    // A failed start can exit with status 0 (notes §2), so the exit itself is the signal, not its code.
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(
        `unleash-server exited (code ${proc.exitCode}, signal ${proc.signalCode}) before /health:\n${log()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`unleash-server not healthy at ${base}/health after ${HEALTH_TIMEOUT_MS} ms:\n${log()}`);
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(true), STOP_TIMEOUT_MS);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    proc.kill('SIGKILL');
    await exited;
  }
}

export interface UnleashServerProcess {
  /** Client API base, e.g. `http://127.0.0.1:41234/api/`. */
  url: string;
  adminToken: string;
  /** Backend token for project `default`, environment `development`. */
  clientToken: string;
  database: string;
  pid(): number | undefined;
  running(): boolean;
  /** SIGTERM (SIGKILL after 5 s); the database stays. */
  stop(): Promise<void>;
  /** Starts the same server again on the same port and database, and waits for /health. */
  restart(): Promise<void>;
  /** Stops the server and drops its database. */
  close(): Promise<void>;
  output(): string;
}

export interface StartUnleashOptions {
  /** Database name (created fresh, dropped by close()). */
  database: string;
  /** Called when the server exits without stop()/close() having asked it to. */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null, output: string) => void;
}

/** Creates a fresh database and starts unleash-server on a free port; resolves once /health answers. */
export async function startUnleashServer(opts: StartUnleashOptions): Promise<UnleashServerProcess> {
  if (!existsSync(UNLEASH_SERVER_JS)) {
    throw new Error(`${UNLEASH_SERVER_JS} is missing: run scripts/test-setup.sh (npm ci --prefix tools/unleash)`);
  }
  const db = opts.database;
  if (!/^[a-z_][a-z0-9_]*$/.test(db)) throw new Error(`database name must be a plain identifier: ${db}`);
  await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await psql(`CREATE DATABASE ${db}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  let child: ChildProcess | null = null;

  async function spawnServer(): Promise<void> {
    const proc = spawn(process.execPath, [UNLEASH_SERVER_JS], {
      cwd: resolve(ROOT, 'tools/unleash'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        DATABASE_URL: `postgres://${PG.user}@${PG.host}:${PG.port}/${db}`,
        DATABASE_SSL: 'false',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        AUTH_TYPE: 'open-source',
        INIT_ADMIN_API_TOKENS: UNLEASH_ADMIN_TOKEN,
        INIT_BACKEND_API_TOKENS: UNLEASH_CLIENT_TOKEN,
        CHECK_VERSION: 'false',
        SEND_TELEMETRY: 'false',
        LOG_LEVEL: 'warn',
        TZ: 'UTC',
        NODE_ENV: 'production',
      },
    });
    child = proc;
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-LOG_LIMIT);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    proc.once('exit', (code, signal) => {
      // An exit nobody asked for explains the failures that follow; say so with the server's own words.
      if (child === proc) opts.onUnexpectedExit?.(code, signal, output);
    });
    try {
      await waitHealthy(base, proc, () => output);
    } catch (err) {
      child = null;
      await stopProcess(proc);
      throw err;
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = null;
    if (proc !== null) await stopProcess(proc);
  }

  try {
    await spawnServer();
  } catch (err) {
    await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    throw err;
  }
  return {
    url: `${base}/api/`,
    adminToken: UNLEASH_ADMIN_TOKEN,
    clientToken: UNLEASH_CLIENT_TOKEN,
    database: db,
    pid: () => (child as ChildProcess | null)?.pid,
    running: () => {
      const p = child as ChildProcess | null;
      return p !== null && p.exitCode === null && p.signalCode === null;
    },
    stop,
    async restart() {
      await stop();
      await spawnServer();
    },
    async close() {
      await stop();
      await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
    output: () => output,
  };
}
