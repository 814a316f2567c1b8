import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { applyFlagChange, type ClientFeaturesDoc, emptyDoc, type FlagChange } from '../../flags/edit.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../../flags/names.js';
import type { FlagProvider } from '../../flags/provider.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import type { RouteSpec } from '../../routes/types.js';
import { type ConfigInput, loadConfig } from '../../src/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway.js';
import type { Logger } from '../../src/observability/logger.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const VIEWER_TOKEN = 'test-viewer-token-0123456789';

export interface Stack {
  sim: Simulator;
  gw: RunningGateway;
  flagsFile: string;
  /** Atomically rewrites the flags file with one change applied. */
  setFlag(name: string, change: FlagChange): void;
  serve(slice: string, rollout: number): void;
  /** Serves each slice 100 % by its new path and resolves once the gateway's flags show every one of them live. */
  serveLive(...slices: string[]): Promise<void>;
  shadow(slice: string, on: boolean): void;
  killSwitch(on: boolean): void;
  /** Resolves once `check` returns true (polled every 25 ms), or rejects after `timeoutMs`. */
  waitFor(check: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  metric(name: string, labels: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export interface StackOptions {
  overrides?: ConfigInput;
  routes?: readonly RouteSpec[];
  flagProvider?: FlagProvider;
  logger?: Logger;
  /** Initial flags document; default: every flag off. */
  flags?: ClientFeaturesDoc;
}

/** A legacy simulator and a gateway in front of it, on ephemeral ports, with a flags file in a temp dir. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const sim = await startSimulator({ port: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  const flagsFile = join(dir, 'flags.json');
  let doc = opts.flags ?? emptyDoc();
  const write = () => {
    const tmp = `${flagsFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(doc));
    renameSync(tmp, flagsFile);
  };
  write();
  const base: ConfigInput = {
    port: 0,
    adminPort: 0,
    legacy: { url: sim.url },
    flags: { file: flagsFile },
    log: { level: 'silent' },
    pipeline: { exposeDecisionHeaders: true },
    // Tests count every shadow comparison: the CPU budget and the pace (production safeguards, tested on their own in
    // test/shadow/runner.test.ts) would make those counts depend on how fast the machine is.
    shadow: { cpuBudget: 1, maxLoopUtilization: 1, maxRunsPerSecond: 0 },
    admin: {
      tokens: [
        { token: ADMIN_TOKEN, role: 'admin', name: 'test-admin' },
        { token: VIEWER_TOKEN, role: 'viewer', name: 'test-viewer' },
      ],
    },
  };
  const config = loadConfig({ env: {}, overrides: deepMerge(base, opts.overrides ?? {}) });
  const gw = await startGateway(config, {
    ...(opts.routes ? { routes: opts.routes } : {}),
    ...(opts.flagProvider ? { flagProvider: opts.flagProvider } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  const setFlag = (name: string, change: FlagChange) => {
    doc = applyFlagChange(doc, name, change);
    write();
  };
  async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    sim,
    gw,
    flagsFile,
    setFlag,
    serve: (slice, rollout) => setFlag(serveFlag(slice), { rollout }),
    async serveLive(...slices) {
      for (const slice of slices) setFlag(serveFlag(slice), { rollout: 100 });
      await waitFor(() => slices.every((slice) => gw.deps.flags.slice(slice).stage === 'live'));
    },
    shadow: (slice, on) => setFlag(shadowFlag(slice), on ? { rollout: 100 } : { enabled: false }),
    killSwitch: (on) => setFlag(KILL_SWITCH, { enabled: on }),
    waitFor,
    async metric(name, labels) {
      const m = await gw.deps.metrics.registry.getSingleMetric(name)?.get();
      const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val));
      return v?.value ?? 0;
    },
    async close() {
      await gw.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** GET through the gateway; returns status, served-by, headers and body text. */
export async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const body = await res.body.text();
  return {
    status: res.statusCode,
    servedBy: res.headers['x-gateway-served-by'],
    reason: res.headers['x-gateway-fallback-reason'],
    headers: res.headers,
    body,
  };
}

function deepMerge<T>(a: T, b: unknown): T {
  if (!b || typeof b !== 'object' || Array.isArray(b)) return (b ?? a) as T;
  const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
  for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out as T;
}
