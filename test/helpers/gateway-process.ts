import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config.js';
import { type CliProcess, runCli } from './cli.js';

/**
 * The gateway as a real child process (`node dist/src/main.js start --config <file>`), as an operator runs it, so a
 * crash is a real process exit. The public and admin URLs come from its "gateway listening" log line.
 */
export interface GatewayProcess {
  publicUrl: string;
  adminUrl: string;
  cli: CliProcess;
  /** Whether the process exited without stop() having asked it to (a crash). */
  crashed(): boolean;
  exitInfo(): string;
  /** One sample of a metric from /metrics (0 when the series is absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  /** Sums every series of a metric whose labels match. */
  metricSum(name: string, labels?: Record<string, string>): Promise<number>;
  /** Admin API call with the admin token; returns status and parsed JSON. */
  admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** SIGTERM and wait (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export const GW_ADMIN_TOKEN = `chaos-admin-${randomBytes(8).toString('hex')}`;

const live = new Set<CliProcess>();
let exitHook = false;
/** A test process that dies must not leave gateways behind. */
function reap(cli: CliProcess): void {
  live.add(cli);
  void cli.exited.then(() => live.delete(cli));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of live) c.child.kill('SIGKILL');
  });
}

export async function startGatewayProcess(
  dir: string,
  config: ConfigInput,
  opts: { name?: string; startTimeoutMs?: number; env?: Record<string, string> } = {},
): Promise<GatewayProcess> {
  const file = join(dir, `${opts.name ?? 'gateway'}-${randomBytes(3).toString('hex')}.json`);
  const full: ConfigInput = {
    port: 0,
    adminPort: 0,
    ...config,
    log: { level: 'info', access: false, ...(config.log ?? {}) },
    pipeline: { exposeDecisionHeaders: true, ...(config.pipeline ?? {}) },
    admin: { tokens: [{ token: GW_ADMIN_TOKEN, role: 'admin', name: 'chaos-admin' }], ...(config.admin ?? {}) },
  };
  writeFileSync(file, JSON.stringify(full, null, 2));
  const cli = runCli(['start', '--config', file], opts.env ? { env: opts.env } : {});
  reap(cli);
  let stopping = false;
  let line: string;
  try {
    line = await cli.waitForLine((l) => l.includes('"gateway listening"'), opts.startTimeoutMs ?? 20_000);
  } catch (err) {
    cli.child.kill('SIGKILL');
    throw err;
  }
  const { public: publicUrl, admin: adminUrl } = JSON.parse(line) as { public: string; admin: string };

  async function scrape(): Promise<string> {
    const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.text();
  }
  function samples(text: string, name: string, labels: Record<string, string>): number[] {
    const out: number[] = [];
    for (const l of text.split('\n')) {
      if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) continue;
      const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(l);
      if (!m) continue;
      const got = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => got[k] === v)) out.push(Number(m[2]));
    }
    return out;
  }

  return {
    publicUrl,
    adminUrl,
    cli,
    crashed: () => !stopping && (cli.child.exitCode !== null || cli.child.signalCode !== null),
    exitInfo: () =>
      `exit code ${cli.child.exitCode}, signal ${cli.child.signalCode}\nstderr: ${cli.stderr().slice(-4000)}\nstdout tail: ${cli.stdout().slice(-4000)}`,
    async metric(name, labels = {}) {
      return samples(await scrape(), name, labels)[0] ?? 0;
    },
    async metricSum(name, labels = {}) {
      return samples(await scrape(), name, labels).reduce((a, b) => a + b, 0);
    },
    async admin(method, path, body) {
      const res = await fetch(`${adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${GW_ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      let json: unknown = text;
      try {
        json = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, json };
    },
    async stop() {
      stopping = true;
      const c = cli.child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
      await cli.exited;
      clearTimeout(timer);
    },
  };
}
