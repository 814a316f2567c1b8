import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlagChange, emptyDoc } from '../../flags/edit.js';
import { serveFlag } from '../../flags/names.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { createRedisClient } from '../../src/state/redis-client.js';
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js';
import { startLoad } from '../helpers/load.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { get } from '../helpers/stack.js';

/**
 * A Redis outage under load, with a redis-server of the test's own (kill -9, then the same command again; the
 * machine's Redis is never touched) and the gateway as a child process: every request is answered, the state gauge
 * drops to 0, a pin made during the outage applies locally at once, and once Redis is back the gauge returns to 1
 * and the queued pin reaches Redis, so a gateway started afterwards obeys it.
 */
const SLICE = 'tickets.get';
const PREFIX = 'outage:';
const UP = { backend: 'redis' };
let sim: Simulator;
let redis: RedisServer;
let dir: string;
let flagsFile: string;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-redis-outage-'));
  flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify(applyFlagChange(emptyDoc(), serveFlag(SLICE), { rollout: 100 })));
  sim = await startSimulator({ port: 0 });
  redis = await startRedisServer();
});
afterAll(async () => {
  for (const g of gateways) await g.stop();
  await redis?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gateway(name: string): Promise<GatewayProcess> {
  const g = await startGatewayProcess(
    dir,
    { legacy: { url: sim.url }, flags: { file: flagsFile } },
    { name, env: { REDIS_URL: redis.url, GATEWAY_REDIS_PREFIX: PREFIX } },
  );
  gateways.push(g);
  return g;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 8_000): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
}

describe('Redis outage under load', () => {
  it('answers every request, degrades to local state, and converges once Redis is back', async () => {
    const a = await gateway('a');
    await until('gauge 1 at start', async () => (await a.metric('gateway_state_backend_up', UP)) === 1);
    const load = startLoad({ baseUrl: a.publicUrl, runId: `outage-${process.pid}`, rps: 30, concurrency: 6 });
    try {
      await new Promise((r) => setTimeout(r, 500));
      load.setPhase('fault');
      await redis.kill();
      const downMs = await until(
        'gauge 0 after kill -9',
        async () => (await a.metric('gateway_state_backend_up', UP)) === 0,
      );

      // A pin during the outage is accepted and applies on this replica at once.
      const pin = await a.admin('POST', `/admin/slices/${SLICE}/pin`, { note: 'pinned while Redis was down' });
      expect(pin.status).toBe(200);
      const pinned = await get(`${a.publicUrl}/api/v2/tickets/3.json`);
      expect([pinned.status, pinned.servedBy, pinned.reason]).toEqual([200, 'legacy', 'pinned']);

      await redis.restart();
      load.setPhase('after');
      const upMs = await until(
        'gauge back to 1 after the restart',
        async () => (await a.metric('gateway_state_backend_up', UP)) === 1,
      );
      console.log(`[redis-outage] gauge 0 after ${downMs} ms; back to 1 ${upMs} ms after the restart`);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      const records = await load.stop();
      const unanswered = records.filter((r) => r.status === null);
      const errors = records.filter((r) => r.status !== null && r.status >= 500);
      console.log(
        `[redis-outage] ${records.length} requests, ${records.length - unanswered.length} answered, ${errors.length} 5xx`,
      );
      expect(records.length).toBeGreaterThan(30);
      expect(unanswered.map((r) => `${r.kind}: ${r.error}`)).toEqual([]);
      expect(errors.map((r) => `${r.kind} ${r.status}`)).toEqual([]);
    }
    expect(a.crashed(), a.exitInfo()).toBe(false);

    // Converged: the queued pin is in Redis, and a gateway started now obeys it.
    const client = createRedisClient(redis.url);
    client.on('error', () => {});
    await client.connect();
    const stored = JSON.parse((await client.hget(`${PREFIX}pins`, SLICE)) ?? 'null') as { note: string } | null;
    client.disconnect();
    expect(stored?.note).toBe('pinned while Redis was down');
    const b = await gateway('b');
    const seen = (await b.admin('GET', `/admin/slices/${SLICE}`)).json as { pin: { note: string } | null };
    expect(seen.pin?.note).toBe('pinned while Redis was down');
    const viaB = await get(`${b.publicUrl}/api/v2/tickets/4.json`);
    expect([viaB.status, viaB.servedBy, viaB.reason]).toEqual([200, 'legacy', 'pinned']);
    const audit = (await b.admin('GET', '/admin/audit')).json as { entries: { note?: string }[] };
    expect(audit.entries.some((e) => e.note === 'pinned while Redis was down')).toBe(true);
  }, 60_000);
});
