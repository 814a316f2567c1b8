import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFlagProvider } from '../../flags/index.js';
import type { FlagProvider } from '../../flags/provider.js';
import { createUnleashFlagProvider, type UnleashFlagProviderOptions } from '../../flags/unleash.js';
import { createUnleashAdmin, requireUnleash, type UnleashAdmin } from '../helpers/unleash-admin.js';
import type { UnleashTestServer } from '../setup/unleash.global.js';
import {
  countEnabled,
  customers,
  featuresDoc,
  REFERENCE_GROUP,
  recordingLogger,
  rollout,
  waitForChange,
} from './support.js';

/** Notes §4: the client sees a toggle 1.0–1.6 s after the admin call at a 1 s poll; 5 s leaves room on a busy CI. */
const PROPAGATION_BUDGET_MS = 5_000;
const hundred = customers(100);
const propagation: { what: string; ms: number }[] = [];

let server: UnleashTestServer;
let admin: UnleashAdmin;
let providers: FlagProvider[] = [];
let flags: string[] = [];

function start(extra: Partial<UnleashFlagProviderOptions> = {}): FlagProvider {
  const provider = createUnleashFlagProvider({
    url: server.url,
    apiToken: server.clientToken,
    appName: 'unleash-test',
    refreshIntervalMs: 1_000,
    ...extra,
  });
  providers.push(provider);
  return provider;
}

async function newFlag(name: string): Promise<string> {
  flags.push(name);
  await admin.createFlag(name);
  return name;
}

/** A port nobody listens on: bind, read the port, close. */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** A TCP proxy in front of the Unleash server, so a test can take the server away from one client only. */
async function startProxy(target: URL): Promise<{ url: string; kill(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((inbound) => {
    const outbound = connect(Number(target.port), target.hostname);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    kill: () =>
      new Promise<void>((resolve) => {
        proxy.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

beforeAll(() => {
  server = requireUnleash();
  admin = createUnleashAdmin(server);
});

afterEach(async () => {
  await Promise.all(providers.map((p) => p.close()));
  providers = [];
  await Promise.all(flags.map((f) => admin.archiveAndDelete(f)));
  flags = [];
});

afterAll(() => {
  if (propagation.length > 0) {
    console.log(
      `[flags/unleash] toggle propagation: ${propagation.map((p) => `${p.what} ${Math.round(p.ms)} ms`).join(', ')}`,
    );
  }
});

describe('Unleash flag provider (real unleash-server)', () => {
  it('follows the server: 25 % rollout → 22/100, switched off → 0/100, rollout raised → more', async () => {
    const provider = start();
    await provider.ready(5_000);
    expect(provider.status()).toMatchObject({
      source: 'unleash',
      up: true,
      ready: true,
      error: null,
      origin: server.url,
    });
    expect(provider.status().lastSyncAt).toBeGreaterThan(Date.now() - 5_000);

    // The notes' reference flag name: groupId = name, so 25 % gives 22 of user-1..user-100.
    const flag = await newFlag(REFERENCE_GROUP);
    const strategyId = await admin.addFlexibleRollout(flag, 25);
    const count = (): number => countEnabled(provider, flag, hundred);

    let seen = waitForChange(
      provider,
      () => count() === 22,
      PROPAGATION_BUDGET_MS,
      () => `count ${count()}`,
    );
    await admin.enable(flag);
    propagation.push({ what: 'on', ms: await seen });
    const at25 = hundred.map((c) => provider.isEnabled(flag, c));
    expect(provider.definition(flag)).toEqual({
      name: flag,
      enabled: true,
      rolloutPercent: 25,
      constrained: false,
      everyone: false,
    });

    seen = waitForChange(
      provider,
      () => count() === 0,
      PROPAGATION_BUDGET_MS,
      () => `count ${count()}`,
    );
    await admin.disable(flag);
    propagation.push({ what: 'off', ms: await seen });
    expect(provider.definition(flag)).toMatchObject({ enabled: false });

    seen = waitForChange(
      provider,
      () => count() > 22,
      PROPAGATION_BUDGET_MS,
      () => `count ${count()}`,
    );
    await admin.updateRollout(flag, strategyId, 50);
    await admin.enable(flag);
    propagation.push({ what: 'rollout 50 %', ms: await seen });
    expect(provider.definition(flag)).toMatchObject({ enabled: true, rolloutPercent: 50 });
    // A bigger rollout only adds customers: the 22 stay on the new path.
    const at50 = hundred.map((c) => provider.isEnabled(flag, c));
    at25.forEach((was, i) => {
      if (was) expect(at50[i]).toBe(true);
    });
    expect(provider.status()).toMatchObject({ up: true, error: null });
  });

  it('is picked by createFlagProvider when a URL is given, with the file as bootstrap until the server answers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-unleash-'));
    try {
      const file = join(dir, 'flags.json');
      const name = 'gw.bootstrap-only';
      await writeFile(
        file,
        JSON.stringify(featuresDoc([{ name, enabled: true, strategies: [rollout(25, REFERENCE_GROUP)] }])),
      );
      const logger = recordingLogger();
      const provider = createFlagProvider(
        {
          unleashUrl: `http://127.0.0.1:${await deadPort()}/api/`,
          unleashApiToken: server.clientToken,
          flagsFile: file,
          appName: 'bootstrap-test',
        },
        logger,
      );
      providers.push(provider);
      expect(provider.source).toBe('unleash');
      await provider.ready(2_000);
      // Evaluates from the file, but has never talked to the server; the state's age counts from the bootstrap.
      const bootstrapped = provider.status();
      expect(bootstrapped).toMatchObject({ ready: true, up: false, error: null });
      expect(bootstrapped.lastSyncAt).toBeGreaterThan(Date.now() - 2_000);
      expect(countEnabled(provider, name, hundred)).toBe(22);

      // The first poll fails after the SDK's retries (about 3 s): down, with the reason, state unchanged.
      await waitForChange(provider, () => provider.status().error !== null, 10_000);
      expect(provider.status().up).toBe(false);
      expect(provider.status().error).toMatch(/ECONNREFUSED/);
      expect(provider.status().lastSyncAt).toBe(bootstrapped.lastSyncAt);
      expect(countEnabled(provider, name, hundred)).toBe(22);
      expect(logger.entries.filter((e) => e.msg.startsWith('flag server error'))).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the last known state when the server goes away, and reports it', async () => {
    const proxy = await startProxy(new URL(server.url));
    const flag = await newFlag('gw.outage.serve');
    await admin.addFlexibleRollout(flag, 100);
    await admin.enable(flag);
    const provider = start({ url: proxy.url });
    await waitForChange(provider, () => countEnabled(provider, flag, hundred) === 100, PROPAGATION_BUDGET_MS);
    expect(provider.status().up).toBe(true);

    await proxy.kill();
    await waitForChange(provider, () => !provider.status().up, 15_000);
    expect(provider.status().error).toContain(proxy.url);
    expect(provider.status().ready).toBe(true);
    expect(countEnabled(provider, flag, hundred)).toBe(100);
  });

  it('close() while a poll to an unreachable server is in flight does not crash the process', async () => {
    const crashes: unknown[] = [];
    const record = (err: unknown): void => {
      crashes.push(err);
    };
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    try {
      const logger = recordingLogger();
      const provider = start({ url: `http://127.0.0.1:${await deadPort()}/api/`, logger });
      // Closed right away: the first fetch is in flight and fails after the SDK's retries (about 3 s).
      await provider.close();
      // The in-flight poll ends one way or the other: logged and ignored, or (the SDK bug) an unhandled error.
      const absorbed = (): boolean =>
        logger.entries.some((e) => e.msg === 'flag poll in flight at close failed (ignored)');
      await vi.waitFor(() => expect(absorbed() || crashes.length > 0).toBe(true), { timeout: 10_000, interval: 100 });
      expect(crashes).toEqual([]);
      expect(provider.isEnabled('anything', { customerId: 'user-1' })).toBe(false);
    } finally {
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
    }
  });

  it('rejects a wrong token: down with the reason, never ready', async () => {
    const logger = recordingLogger();
    const provider = start({ apiToken: 'default:development.wrong-token', logger });
    await waitForChange(provider, () => provider.status().error !== null, PROPAGATION_BUDGET_MS);
    expect(provider.status()).toMatchObject({ up: false, ready: false });
    expect(provider.status().error).toMatch(/401|403/);
    expect(provider.isEnabled('anything', { customerId: 'user-1' })).toBe(false);
  });
});
