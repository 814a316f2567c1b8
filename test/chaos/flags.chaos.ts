import { renameSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { serveFlag, shadowFlag } from '../../flags/names.js';
import type { RequestRecord } from '../helpers/load.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { createUnleashAdmin } from '../helpers/unleash-admin.js';
import { startUnleashServer, type UnleashServerProcess } from '../helpers/unleash-server.js';
import type { ChaosRow } from './support/report.js';
import { chaosFlags, countBy, pick, runChaos } from './support/scenario.js';

/**
 * Flag-source faults (in process): an Unleash server of this test's own (own database) stopped and restarted, and
 * the flags file replaced by invalid JSON, then fixed. A flag outage never fails a request: the last known state
 * keeps serving (tickets.get stays on the new path), the provider reports itself down, and recovers.
 */
const stacks: Stack[] = [];
let unleash: UnleashServerProcess | null = null;
afterAll(async () => {
  for (const s of stacks) await s.close();
  await unleash?.close();
});

async function waitFor(check: () => boolean, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (check()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

/** Slices keep their last known state: tickets.get stays on the new path, nothing goes stale. */
function lastKnownStateKept(records: readonly RequestRecord[], r: ChaosRow): void {
  const slice = pick(records, 'slice', 'fault');
  if (!slice.some((x) => x.servedBy === 'new')) {
    r.failures.push(
      `tickets.get left the new path during the flag outage: ${JSON.stringify(countBy(slice, (x) => `${x.servedBy}/${x.reason}`))}`,
    );
  }
  if (records.some((x) => x.reason === 'flags_stale')) r.failures.push('a request was routed for stale flags');
}

describe('chaos: flag sources (in process)', () => {
  it('Unleash server stopped, then restarted', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    unleash = await startUnleashServer({ database: `unleash_chaos_${process.pid}` });
    console.log(`[chaos] own unleash-server up in ${Date.now() - t0} ms`);
    const admin = createUnleashAdmin(unleash);
    for (const [name, rollout] of [
      [serveFlag('tickets.get'), 100],
      [serveFlag('intent.faq'), 100],
      [shadowFlag('intent.order_status'), 100],
    ] as const) {
      await admin.createFlag(name);
      await admin.addFlexibleRollout(name, rollout);
      await admin.enable(name);
    }
    const s = await startStack({
      overrides: {
        flags: { unleashUrl: unleash.url, unleashApiToken: unleash.clientToken, refreshIntervalMs: 250 },
      },
    });
    stacks.push(s);
    await s.waitFor(() => s.gw.deps.flags.slice('tickets.get').stage === 'live', 15_000);
    console.log(`[chaos] gateway on Unleash flags after ${Date.now() - t0} ms`);
    const server = unleash;
    let downAfter: number | null = null;
    let upAfter: number | null = null;
    const status = () => s.gw.deps.flagProvider.status();
    const row = await runChaos({
      fault: 'Unleash stopped and restarted',
      gateway: 'in-process',
      baseUrl: s.gw.publicUrl,
      sim: s.sim,
      inject: () => server.stop(),
      // unleash-client notices a refused connection within ~3 s (its fetch backs off); the fault lasts until then.
      duringFault: async () => {
        downAfter = await waitFor(() => !status().up, 8_000);
      },
      heal: async () => {
        await server.restart();
        upAfter = await waitFor(() => status().up, 10_000);
      },
      check(records, r) {
        r.notes.push(`flag provider down ${downAfter} ms after the stop, up ${upAfter} ms after the restart`);
        if (downAfter === null) r.failures.push('the flag provider did not report Unleash as down within 8 s');
        if (upAfter === null) r.failures.push('the flag provider did not recover within 10 s of the restart');
        lastKnownStateKept(records, r);
      },
    });
    expect(row.failures).toEqual([]);
  });

  it('flags file replaced with invalid JSON, then fixed', async () => {
    const s = await startStack({ flags: chaosFlags() });
    stacks.push(s);
    const good = JSON.stringify(chaosFlags());
    const replace = (text: string) => {
      writeFileSync(`${s.flagsFile}.tmp`, text);
      renameSync(`${s.flagsFile}.tmp`, s.flagsFile);
    };
    let error: string | null = null;
    let recovered: number | null = null;
    const status = () => s.gw.deps.flagProvider.status();
    const row = await runChaos({
      fault: 'flags file invalid JSON',
      gateway: 'in-process',
      baseUrl: s.gw.publicUrl,
      sim: s.sim,
      inject: () => replace(`${good.slice(0, good.length / 2)} <<< truncated by a bad deploy`),
      duringFault: async () => {
        await waitFor(() => !status().up, 3_000);
        error = status().error;
      },
      heal: async () => {
        replace(good);
        recovered = await waitFor(() => status().up, 3_000);
      },
      check(records, r) {
        r.notes.push(`provider error while invalid: ${error}; recovered ${recovered} ms after the fix`);
        if (error === null) r.failures.push('the flags file provider never reported the invalid file');
        if (recovered === null) r.failures.push('the flags file provider did not recover within 3 s of the fix');
        lastKnownStateKept(records, r);
      },
    });
    expect(row.failures).toEqual([]);
  });
});
