import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

/**
 * Starts a real Unleash OSS server (tools/unleash, unleash-server 8.2.0) for the whole run, on a free port, against a
 * fresh PostgreSQL database that teardown drops. Recipe and measurements: /work/shared/notes/unleash-local.md.
 * `GATEWAY_TEST_UNLEASH=off` skips it and provides null; tests that need the server then fail, saying why.
 */

export interface UnleashTestServer {
  /** Client API base, e.g. `http://127.0.0.1:41234/api/`. */
  url: string;
  adminToken: string;
  /** Backend token for project `default`, environment `development`. */
  clientToken: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    unleash: UnleashTestServer | null;
  }
}

const execFileAsync = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER_JS = resolve(ROOT, 'tools/unleash/node_modules/unleash-server/dist/server.js');
const PG = { host: '127.0.0.1', port: '5432', user: 'postgres' } as const;
const ADMIN_TOKEN = '*:*.unleash-insecure-admin-api-token';
const CLIENT_TOKEN = 'default:development.unleash-insecure-client-api-token';
const HEALTH_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
/** Kept for the failure message: the tail of the server's output. */
const LOG_LIMIT = 64 * 1024;

let child: ChildProcess | null = null;
let database: string | null = null;

async function psql(sql: string): Promise<void> {
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

function freePort(): Promise<number> {
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

export async function setup(project: TestProject): Promise<void> {
  if (process.env.GATEWAY_TEST_UNLEASH === 'off') {
    console.log('[unleash] GATEWAY_TEST_UNLEASH=off: no Unleash server; tests that need one will fail');
    project.provide('unleash', null);
    return;
  }
  if (!existsSync(SERVER_JS)) {
    throw new Error(`${SERVER_JS} is missing: run scripts/test-setup.sh (npm ci --prefix tools/unleash)`);
  }
  const started = Date.now();
  const db = `unleash_test_${process.pid}`;
  await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await psql(`CREATE DATABASE ${db}`);
  database = db;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;

  let output = '';
  const proc = spawn(process.execPath, [SERVER_JS], {
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
      INIT_ADMIN_API_TOKENS: ADMIN_TOKEN,
      INIT_BACKEND_API_TOKENS: CLIENT_TOKEN,
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
    if (child === proc) {
      console.error(`[unleash] unleash-server exited during the run (code ${code}, signal ${signal}):\n${output}`);
    }
  });

  try {
    await waitHealthy(base, proc, () => output);
  } catch (err) {
    await teardown();
    throw err;
  }
  console.log(`[unleash] unleash-server up at ${base} (pid ${proc.pid}, db ${db}) in ${Date.now() - started} ms`);
  project.provide('unleash', { url: `${base}/api/`, adminToken: ADMIN_TOKEN, clientToken: CLIENT_TOKEN });
}

async function stop(proc: ChildProcess): Promise<void> {
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

export async function teardown(): Promise<void> {
  const proc = child;
  child = null;
  if (proc !== null) await stop(proc);
  const db = database;
  database = null;
  if (db !== null) await psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}
