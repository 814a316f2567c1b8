import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FlagContext } from '../../flags/context.js';
import { createFileFlagProvider } from '../../flags/file.js';
import { shadowFlag } from '../../flags/names.js';
import type { FlagProvider } from '../../flags/provider.js';
import { createFlagGate } from '../../src/pipeline/flags.js';
import { featuresDoc, rollout } from '../flags/support.js';

const flexible = (percent: number, stickiness: string) => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(percent), stickiness, groupId: 'g' },
});

const FEATURES = [
  { name: 'default', enabled: true, strategies: [{ name: 'default' }] },
  { name: 'no-strategy', enabled: true, strategies: [] },
  { name: 'full', enabled: true, strategies: [rollout(100, 'full')] },
  { name: 'full-random', enabled: true, strategies: [flexible(100, 'random')] },
  {
    name: 'random-100',
    enabled: true,
    strategies: [{ name: 'gradualRolloutRandom', parameters: { percentage: '100' } }],
  },
  { name: 'mixed-full', enabled: true, strategies: [rollout(10, 'm'), { name: 'default' }] },
  // Not "everyone": each says no to some request.
  { name: 'almost', enabled: true, strategies: [rollout(99, 'almost')] },
  { name: 'sticky-user', enabled: true, strategies: [flexible(100, 'userId')] },
  {
    name: 'user-id-100',
    enabled: true,
    strategies: [{ name: 'gradualRolloutUserId', parameters: { percentage: '100', groupId: 'u' } }],
  },
  {
    name: 'tenant-only',
    enabled: true,
    strategies: [{ name: 'default', constraints: [{ contextName: 'tenant', operator: 'IN', values: ['a'] }] }],
  },
  { name: 'off', enabled: false, strategies: [{ name: 'default' }] },
  { name: 'parent', enabled: false, strategies: [{ name: 'default' }] },
  { name: 'child', enabled: true, strategies: [{ name: 'default' }], dependencies: [{ feature: 'parent' }] },
];

const CONTEXTS: FlagContext[] = [
  {},
  { resourceId: '7' },
  { customerId: 'c-1', conversationId: 'conv-1', tenant: 'b', channel: 'chat', region: 'eu' },
];

let dir: string;
let provider: FlagProvider;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flag-gate-'));
  const path = join(dir, 'flags.json');
  const doc = featuresDoc(FEATURES);
  // featuresDoc keeps only name, enabled and strategies: add the child's parent dependency as Unleash serves it.
  doc.features = doc.features.map((f, i) => ({
    ...f,
    ...(FEATURES[i]?.dependencies ? { dependencies: FEATURES[i]?.dependencies } : {}),
  }));
  await writeFile(path, JSON.stringify(doc));
  provider = createFileFlagProvider({ path, appName: 'flag-gate-test' });
  await provider.ready(2_000);
});

afterAll(async () => {
  await provider.close();
  await rm(dir, { recursive: true, force: true });
});

describe('flag summaries: everyone', () => {
  it('is true exactly for flags that unleash-client enables for any context', () => {
    const everyone = FEATURES.filter((f) => provider.definition(f.name)?.everyone).map((f) => f.name);
    expect(everyone).toEqual(['default', 'no-strategy', 'full', 'full-random', 'random-100', 'mixed-full']);
    for (const name of everyone) {
      for (const ctx of CONTEXTS) expect(provider.isEnabled(name, ctx), `${name} ${JSON.stringify(ctx)}`).toBe(true);
    }
    // Each of the others says no to at least one of the contexts (so skipping its evaluation would be wrong).
    for (const f of FEATURES.filter((x) => !everyone.includes(x.name))) {
      if (f.name === 'almost') continue; // 99 %: some request outside it exists, just not necessarily among three
      expect(
        CONTEXTS.some((ctx) => !provider.isEnabled(f.name, ctx)),
        f.name,
      ).toBe(true);
    }
  });
});

describe('flag gate planInputs', () => {
  function gateWith(shadowDef: (typeof FEATURES)[number]) {
    const slice = 'tickets.get';
    const defs = new Map([[shadowFlag(slice), provider.definition(shadowDef.name)]]);
    const isEnabled = vi.fn((name: string, ctx: FlagContext) =>
      name === shadowFlag(slice) ? provider.isEnabled(shadowDef.name, ctx) : false,
    );
    const fake: FlagProvider = {
      source: 'file',
      ready: async () => {},
      isEnabled,
      definition: (name) => defs.get(name),
      status: () => ({ source: 'file', up: true, ready: true, lastSyncAt: Date.now(), error: null, origin: 'test' }),
      onChange: () => () => {},
      close: async () => {},
    };
    const gate = createFlagGate(fake, { maxStalenessSeconds: 60 });
    const context = vi.fn((): FlagContext => ({ resourceId: '1' }));
    return { gate, isEnabled, context, slice };
  }

  it('shadows every request of a 100 % shadow flag without evaluating it or building a context', () => {
    const { gate, isEnabled, context, slice } = gateWith(FEATURES[2] as (typeof FEATURES)[number]);
    expect(gate.slice(slice).shadowIsFull).toBe(true);
    for (let i = 0; i < 3; i++) expect(gate.planInputs(slice, false, context)).toMatchObject({ shadow: true });
    expect(isEnabled).not.toHaveBeenCalledWith(shadowFlag(slice), expect.anything());
    expect(context).not.toHaveBeenCalled();
    // A pin still wins: no shadow.
    expect(gate.planInputs(slice, true, context)).toMatchObject({ shadow: false, pinned: true });
  });

  it('still evaluates a shadow flag that depends on the request', () => {
    const { gate, isEnabled, context, slice } = gateWith(FEATURES[7] as (typeof FEATURES)[number]);
    expect(gate.slice(slice).shadowIsFull).toBe(false);
    expect(gate.planInputs(slice, false, context)).toMatchObject({ shadow: false });
    expect(isEnabled).toHaveBeenCalledWith(shadowFlag(slice), { resourceId: '1' });
    expect(context).toHaveBeenCalledTimes(1);
  });
});
