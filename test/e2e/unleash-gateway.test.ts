import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_SWITCH, serveFlag } from '../../flags/names.js';
import { get, type Stack, startStack } from '../helpers/stack.js';
import { createUnleashAdmin, requireUnleash, type UnleashAdmin } from '../helpers/unleash-admin.js';

/**
 * The gateway against a real Unleash server (started by test/setup/unleash.global.ts on the local PostgreSQL):
 * a migration lead toggles the slice through Unleash's admin API and traffic moves.
 */
const SERVE = serveFlag('tickets.get');
let s: Stack;
let admin: UnleashAdmin;

beforeAll(async () => {
  const server = requireUnleash();
  admin = createUnleashAdmin(server);
  await admin.archiveAndDelete(SERVE);
  await admin.archiveAndDelete(KILL_SWITCH);
  s = await startStack({
    overrides: { flags: { unleashUrl: server.url, unleashApiToken: server.clientToken, refreshIntervalMs: 250 } },
  });
});
afterAll(async () => {
  await s?.close();
  await admin?.archiveAndDelete(SERVE);
  await admin?.archiveAndDelete(KILL_SWITCH);
});

const ticket = () => `${s.gw.publicUrl}/api/v2/tickets/1.json`;
async function shareOnNew(n: number): Promise<number> {
  let onNew = 0;
  for (let c = 0; c < n; c++) if ((await get(ticket(), { 'x-customer-id': `u-${c}` })).servedBy === 'new') onNew++;
  return onNew;
}

describe('gateway with a real Unleash server', () => {
  it('reports the Unleash provider as up and serves legacy while the flag does not exist', async () => {
    await s.waitFor(() => s.gw.deps.flagProvider.status().up, 10_000);
    expect(s.gw.deps.flagProvider.status().source).toBe('unleash');
    expect((await get(ticket())).servedBy).toBe('legacy');
  });

  it('moves traffic as the slice is switched on, rolled out and switched off in Unleash', async () => {
    await admin.createFlag(SERVE);
    const strategy = await admin.addFlexibleRollout(SERVE, 100);
    await admin.enable(SERVE);
    await s.waitFor(async () => (await get(ticket())).servedBy === 'new', 10_000);
    expect(await shareOnNew(40)).toBe(40);

    await admin.updateRollout(SERVE, strategy, 25);
    await s.waitFor(() => s.gw.deps.flags.slice('tickets.get').stage === 'canary', 10_000);
    const share = await shareOnNew(200);
    expect(share).toBeGreaterThan(20);
    expect(share).toBeLessThan(80);
    // Sticky: the same customers land on the same side again.
    const again = await shareOnNew(200);
    expect(again).toBe(share);

    await admin.disable(SERVE);
    await s.waitFor(async () => (await shareOnNew(20)) === 0, 10_000);
  });

  it('sends everything to legacy when the kill switch is switched on in Unleash', async () => {
    await admin.enable(SERVE); // back at its 25 % rollout
    await s.waitFor(async () => (await shareOnNew(40)) > 0, 10_000);
    await admin.createFlag(KILL_SWITCH);
    await admin.enable(KILL_SWITCH); // enabling without a strategy: Unleash adds a 100 % default
    await s.waitFor(async () => (await get(ticket())).reason === 'kill_switch', 10_000);
    expect(await shareOnNew(50)).toBe(0);
    await admin.disable(KILL_SWITCH);
    await s.waitFor(async () => (await get(ticket())).reason !== 'kill_switch', 10_000);
  });
});
