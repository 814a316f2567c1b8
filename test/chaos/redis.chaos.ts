import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { chaosFlags, pick, runChaos } from './support/scenario.js';

/**
 * Redis killed (`kill -9`) and restarted under load, with the gateway as a child process on the test's own
 * redis-server (never the machine's Redis). Redis is never on the request path: every request is answered, slices
 * keep being served by the new path, `gateway_state_backend_up` drops to 0 and comes back to 1.
 */
let sim: Simulator;
let redis: RedisServer;
let gw: GatewayProcess;
let dir: string;

const UP = { backend: 'redis' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-chaos-redis-'));
  sim = await startSimulator({ port: 0 });
  redis = await startRedisServer();
  const flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify(chaosFlags()));
  gw = await startGatewayProcess(dir, {
    legacy: { url: sim.url },
    flags: { file: flagsFile },
    redisUrl: redis.url,
    redisPrefix: 'chaos:',
  });
});
afterAll(async () => {
  await gw?.stop();
  await redis?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function gaugeBecomes(value: number, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await gw.metric('gateway_state_backend_up', UP)) === value) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

describe('chaos: Redis (gateway process, own redis-server)', () => {
  it('Redis killed with -9, then restarted', async () => {
    expect(await gw.metric('gateway_state_backend_up', UP)).toBe(1);
    let downAfter: number | null = null;
    let upAfter: number | null = null;
    const row = await runChaos({
      fault: 'Redis killed and restarted',
      gateway: 'process',
      baseUrl: gw.publicUrl,
      sim,
      inject: () => redis.kill(),
      duringFault: async () => {
        downAfter = await gaugeBecomes(0, 2_500);
      },
      heal: async () => {
        await redis.restart();
        upAfter = await gaugeBecomes(1, 5_000);
      },
      crashed: () => gw.crashed(),
      check(records, r) {
        r.notes.push(`gateway_state_backend_up: 0 after ${downAfter} ms, back to 1 ${upAfter} ms after the restart`);
        if (downAfter === null) r.failures.push('gateway_state_backend_up never dropped to 0 while Redis was dead');
        if (upAfter === null) r.failures.push('gateway_state_backend_up did not return to 1 within 5 s of the restart');
        if (!pick(records, 'slice', 'fault').some((x) => x.servedBy === 'new')) {
          r.failures.push('no tickets.get was served by the new path while Redis was dead (Redis on the hot path?)');
        }
      },
    });
    expect(row.failures, gw.crashed() ? gw.exitInfo() : '').toEqual([]);
  });
});
