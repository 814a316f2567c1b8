import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFileFlagProvider, type FileFlagProviderOptions } from '../../flags/file.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../../flags/names.js';
import type { FlagProvider } from '../../flags/provider.js';
import {
  countEnabled,
  customers,
  featuresDoc,
  REFERENCE_GROUP,
  recordingLogger,
  rollout,
  waitForChange,
} from './support.js';

const FLAG = 'gw.tickets.get.serve';
const RELOAD_BUDGET_MS = 2_000;
const hundred = customers(100);

let dir: string;
let path: string;
let providers: FlagProvider[] = [];
const reloadLatencies: number[] = [];
/** Latency of two changes seen by the stat poll only (not counted with the watch latencies). */
const pollOnly: number[] = [];
let tmpCounter = 0;

function start(extra: Partial<FileFlagProviderOptions> = {}): FlagProvider {
  const provider = createFileFlagProvider({ path, appName: 'file-test', ...extra });
  providers.push(provider);
  return provider;
}

/** Writes a sibling temp file and renames it over the flags file, as deploy tools and editors do. */
async function writeAtomic(content: string): Promise<void> {
  const tmp = join(dir, `.flags.json.${++tmpCounter}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, path);
}

const doc = (percent: number, extra: { name: string; enabled: boolean }[] = []): string =>
  JSON.stringify(
    featuresDoc([{ name: FLAG, enabled: true, strategies: [rollout(percent, REFERENCE_GROUP)] }, ...extra]),
  );

/** Writes, then waits (on onChange, at most 2 s) until the provider shows the expected state. */
async function reloadTo(
  provider: FlagProvider,
  write: () => Promise<void>,
  expected: number | ((count: number) => boolean) | { until: () => boolean },
): Promise<void> {
  const count = (): number => countEnabled(provider, FLAG, hundred);
  const done =
    typeof expected === 'number'
      ? () => count() === expected
      : typeof expected === 'function'
        ? () => expected(count())
        : expected.until;
  // Otherwise the wait would end at once and measure nothing.
  expect(done(), 'the expected state must differ from the current one').toBe(false);
  const seen = waitForChange(provider, done, RELOAD_BUDGET_MS, () =>
    JSON.stringify({ count: count(), status: provider.status() }),
  );
  await write();
  reloadLatencies.push(await seen);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-flags-'));
  path = join(dir, 'flags.json');
});

afterEach(async () => {
  await Promise.all(providers.map((p) => p.close()));
  providers = [];
  await rm(dir, { recursive: true, force: true });
});

afterAll(() => {
  if (pollOnly.length > 0)
    console.log(`[flags/file] stat poll only: two reloads in ${Math.round(pollOnly[0] ?? 0)} ms`);
  if (reloadLatencies.length > 0) {
    const sorted = [...reloadLatencies].sort((a, b) => a - b);
    const ms = (n: number | undefined): string => `${Math.round(n ?? 0)} ms`;
    console.log(
      `[flags/file] reload latency n=${sorted.length} min ${ms(sorted[0])} median ${ms(sorted[Math.floor(sorted.length / 2)])} max ${ms(sorted.at(-1))}`,
    );
  }
});

describe('file flag provider', () => {
  it('evaluates a flexibleRollout like the server: 25 % → 22 of user-1..user-100', async () => {
    await writeFile(path, doc(25));
    const provider = start();
    await provider.ready(2_000);
    expect(provider.status()).toMatchObject({ source: 'file', up: true, ready: true, error: null, origin: path });
    expect(countEnabled(provider, FLAG, hundred)).toBe(22);
    expect(countEnabled(provider, FLAG, customers(10_000))).toBe(2461);
  });

  it('keeps a customer on one side: across conversations, across reloads, and as the rollout grows', async () => {
    await writeFile(path, doc(25));
    const provider = start();
    await provider.ready(2_000);
    const answers = hundred.map((c) => provider.isEnabled(FLAG, c));
    // default stickiness = userId (customerId) first: the conversation does not change the answer.
    expect(hundred.map((c, i) => provider.isEnabled(FLAG, { ...c, conversationId: `conv-${i}-b` }))).toEqual(answers);

    // An unrelated edit: the file is reloaded, nobody moves.
    await reloadTo(provider, () => writeAtomic(doc(25, [{ name: 'gw.other.serve', enabled: true }])), {
      until: () => provider.definition('gw.other.serve') !== undefined,
    });
    expect(countEnabled(provider, FLAG, hundred)).toBe(22);
    expect(hundred.map((c) => provider.isEnabled(FLAG, c))).toEqual(answers);

    // Growing the canary only adds customers: everyone already on the new path stays there.
    await reloadTo(
      provider,
      () => writeAtomic(doc(50)),
      (n) => n > 22,
    );
    const after = hundred.map((c) => provider.isEnabled(FLAG, c));
    answers.forEach((was, i) => {
      if (was) expect(after[i]).toBe(true);
    });

    // Without a customer the conversation (or resource id) is the sticky key.
    const byConversation = provider.isEnabled(FLAG, { conversationId: 'conv-42' });
    for (let i = 0; i < 5; i++) expect(provider.isEnabled(FLAG, { conversationId: 'conv-42' })).toBe(byConversation);
  });

  it('sees an atomic rename and an in-place write within 2 s', async () => {
    await writeFile(path, doc(25));
    const provider = start();
    await provider.ready(2_000);
    const syncedBefore = provider.status().lastSyncAt ?? 0;

    await reloadTo(provider, () => writeAtomic(doc(100)), 100);
    await reloadTo(provider, () => writeFile(path, doc(0)), 0);
    await reloadTo(provider, () => writeAtomic(doc(25)), 22);
    await reloadTo(provider, () => writeFile(path, doc(100)), 100);
    expect(provider.status().lastSyncAt).toBeGreaterThanOrEqual(syncedBefore);
  });

  it('sees a change through the 1 s stat poll alone when the directory watch is off', async () => {
    await writeFile(path, doc(25));
    const provider = start({ watch: false });
    await provider.ready(2_000);
    const t0 = performance.now();
    await reloadTo(provider, () => writeAtomic(doc(100)), 100);
    await reloadTo(provider, () => writeFile(path, doc(0)), 0);
    reloadLatencies.splice(-2);
    pollOnly.push(performance.now() - t0);
  });

  it('rejects invalid JSON, keeps the last good state, and recovers on the next valid file', async () => {
    await writeFile(path, doc(25));
    const logger = recordingLogger();
    const provider = start({ logger });
    await provider.ready(2_000);

    const broken = '{\n  "version": 2,\n  "features": [ { "name": "x", "enabled": tru } ]\n}\n';
    const down = waitForChange(provider, () => !provider.status().up, RELOAD_BUDGET_MS);
    await writeAtomic(broken);
    await down;
    const status = provider.status();
    expect(status).toMatchObject({ up: false, ready: true });
    expect(status.error?.startsWith(`flags file ${path}: `)).toBe(true);
    expect(status.error).toMatch(/: Unexpected token ' ' at line 3 column 46$/);
    expect(countEnabled(provider, FLAG, hundred)).toBe(22);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(1);

    // A different problem is a new warning; the state is still the last good one.
    const otherError = waitForChange(provider, () => provider.status().error !== status.error, RELOAD_BUDGET_MS);
    await writeFile(path, '{"version": 2, "features": [}');
    await otherError;
    expect(provider.status().error).toMatch(/: Unexpected token '}' at line 1 column 29$/);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(2);
    expect(countEnabled(provider, FLAG, hundred)).toBe(22);

    await reloadTo(provider, () => writeAtomic(doc(100)), 100);
    expect(provider.status()).toMatchObject({ up: true, error: null });
  });

  it('rejects a file of the wrong shape with the field at fault', async () => {
    await writeFile(path, doc(25));
    const provider = start();
    await provider.ready(2_000);
    const down = waitForChange(provider, () => !provider.status().up, RELOAD_BUDGET_MS);
    await writeAtomic(
      JSON.stringify({ version: 2, features: [{ name: FLAG, enabled: 'yes', strategies: [rollout(250, FLAG)] }] }),
    );
    await down;
    expect(provider.status().error).toContain('features[0].enabled');
    expect(provider.status().error).toContain('rollout between 0 and 100');
    expect(countEnabled(provider, FLAG, hundred)).toBe(22);
  });

  it('keeps the last state when the file is deleted, and reloads when it comes back', async () => {
    await writeFile(path, doc(25));
    const provider = start();
    await provider.ready(2_000);
    const down = waitForChange(provider, () => !provider.status().up, RELOAD_BUDGET_MS);
    await unlink(path);
    await down;
    expect(provider.status().error).toBe(`flags file ${path}: file not found`);
    expect(countEnabled(provider, FLAG, hundred)).toBe(22);
    await reloadTo(provider, () => writeAtomic(doc(0)), 0);
    expect(provider.status()).toMatchObject({ up: true, error: null });
  });

  it('starts without a file: not ready, everything off, then loads the file when it appears', async () => {
    const provider = start();
    await provider.ready(200);
    expect(provider.status()).toMatchObject({ up: false, ready: false, lastSyncAt: null });
    expect(provider.status().error).toContain('file not found');
    expect(provider.isEnabled(FLAG, { customerId: 'user-1' })).toBe(false);
    await reloadTo(provider, () => writeAtomic(doc(100)), 100);
    expect(provider.status().ready).toBe(true);
  });

  it('re-confirms an unchanged valid file at each stat poll (lastSyncAt moves, no change event)', async () => {
    await writeFile(path, doc(25));
    const provider = start({ pollIntervalMs: 50 });
    await provider.ready(2_000);
    let changes = 0;
    provider.onChange(() => changes++);
    const first = provider.status().lastSyncAt ?? 0;
    await vi.waitFor(() => expect(provider.status().lastSyncAt).toBeGreaterThan(first), { timeout: 2_000 });
    expect(changes).toBe(0);
  });

  it('treats unknown flags as off and summarises definitions', async () => {
    await writeFile(
      path,
      JSON.stringify(
        featuresDoc([
          { name: 'rollout', enabled: true, strategies: [rollout(25, 'rollout')] },
          { name: 'everyone', enabled: true, strategies: [{ name: 'default' }] },
          { name: 'no-strategy', enabled: true },
          { name: 'off', enabled: false, strategies: [rollout(40, 'off')] },
          {
            name: 'tenant-only',
            enabled: true,
            strategies: [
              { ...rollout(100, 't'), constraints: [{ contextName: 'tenant', operator: 'IN', values: ['a'] }] },
            ],
          },
          { name: 'mixed', enabled: true, strategies: [rollout(10, 'm'), { name: 'userWithId' }, rollout(30, 'm')] },
          { name: 'custom', enabled: true, strategies: [{ name: 'myCustomStrategy' }] },
        ]),
      ),
    );
    const provider = start();
    await provider.ready(2_000);
    expect(provider.isEnabled('does-not-exist', { customerId: 'user-1' })).toBe(false);
    expect(provider.definition('does-not-exist')).toBeUndefined();
    expect(provider.definition('rollout')).toEqual({
      name: 'rollout',
      enabled: true,
      rolloutPercent: 25,
      constrained: false,
      everyone: false,
    });
    expect(provider.definition('everyone')).toMatchObject({ rolloutPercent: 100, constrained: false, everyone: true });
    expect(provider.definition('no-strategy')).toMatchObject({ enabled: true, rolloutPercent: 100 });
    expect(provider.definition('off')).toMatchObject({ enabled: false, rolloutPercent: 40 });
    expect(provider.definition('tenant-only')).toMatchObject({ rolloutPercent: null, constrained: true });
    // userWithId and custom strategies decide per request on grounds a percentage cannot express: conditions.
    expect(provider.definition('mixed')).toMatchObject({ rolloutPercent: 30, constrained: true });
    expect(provider.definition('custom')).toMatchObject({ rolloutPercent: null, constrained: true });
    // Constraints see the context's properties (tenant), and an unknown custom strategy is simply off.
    expect(provider.isEnabled('tenant-only', { tenant: 'a', customerId: 'c' })).toBe(true);
    expect(provider.isEnabled('tenant-only', { tenant: 'b', customerId: 'c' })).toBe(false);
    expect(provider.isEnabled('custom', { customerId: 'c' })).toBe(false);
    expect(provider.isEnabled('off', { customerId: 'user-1' })).toBe(false);
  });

  it('accepts a file with no flags: up, ready, everything off', async () => {
    await writeFile(path, JSON.stringify({ version: 2, features: [] }));
    const provider = start();
    await provider.ready(2_000);
    expect(provider.status()).toMatchObject({ up: true, ready: true });
    expect(provider.isEnabled(FLAG, { customerId: 'user-1' })).toBe(false);
  });

  it('loads deploy/flags/flags.example.json: tickets.get at legacy, shadow and kill switch off', async () => {
    path = resolve('deploy/flags/flags.example.json');
    const provider = start();
    await provider.ready(2_000);
    expect(provider.status()).toMatchObject({ up: true, ready: true });
    expect(provider.definition(serveFlag('tickets.get'))).toEqual({
      name: 'gw.tickets.get.serve',
      enabled: true,
      rolloutPercent: 0,
      constrained: false,
      everyone: false,
    });
    expect(provider.definition(shadowFlag('tickets.get'))).toMatchObject({ enabled: false });
    expect(provider.definition(KILL_SWITCH)).toMatchObject({ enabled: false, rolloutPercent: 100 });
    expect(countEnabled(provider, serveFlag('tickets.get'), hundred)).toBe(0);
  });

  it('close() stops its timers and the directory watch', async () => {
    const resources = (): string[] =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r === 'Timeout' || r === 'FSEventWrap')
        .sort();
    const before = resources();
    await writeFile(path, doc(25));
    const provider = start();
    await provider.ready(2_000);
    expect(resources().length).toBeGreaterThan(before.length);
    await provider.close();
    // A closed fs watcher releases its handle a loop turn later; immediates are not among the counted resources.
    for (let i = 0; i < 10 && resources().length !== before.length; i++) await new Promise((r) => setImmediate(r));
    expect(resources()).toEqual(before);
    // Still answers from the last state after close, without throwing.
    expect(() => provider.isEnabled(FLAG, { customerId: 'user-1' })).not.toThrow();
  });
});
