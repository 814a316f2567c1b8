import type { TestProject } from 'vitest/node';
import { startUnleashServer, type UnleashServerProcess } from '../helpers/unleash-server.js';

/**
 * Starts a real Unleash OSS server (tools/unleash, unleash-server 8.2.0) for the whole run, on a free port, against a
 * fresh PostgreSQL database that teardown drops (test/helpers/unleash-server.ts; recipe and measurements:
 * /work/shared/notes/unleash-local.md). `GATEWAY_TEST_UNLEASH=off` skips it and provides null; tests that need the
 * server then fail, saying why.
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

let server: UnleashServerProcess | null = null;

export async function setup(project: TestProject): Promise<void> {
  if (process.env.GATEWAY_TEST_UNLEASH === 'off') {
    console.log('[unleash] GATEWAY_TEST_UNLEASH=off: no Unleash server; tests that need one will fail');
    project.provide('unleash', null);
    return;
  }
  const started = Date.now();
  server = await startUnleashServer({
    database: `unleash_test_${process.pid}`,
    onUnexpectedExit: (code, signal, output) =>
      console.error(`[unleash] unleash-server exited during the run (code ${code}, signal ${signal}):\n${output}`),
  });
  console.log(
    `[unleash] unleash-server up at ${server.url} (pid ${server.pid()}, db ${server.database}) in ${Date.now() - started} ms`,
  );
  project.provide('unleash', { url: server.url, adminToken: server.adminToken, clientToken: server.clientToken });
}

export async function teardown(): Promise<void> {
  const s = server;
  server = null;
  await s?.close();
}
