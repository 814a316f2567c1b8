import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFlagChange, emptyDoc } from '../../flags/edit.js';
import { serveFlag } from '../../flags/names.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { createRedisClient } from '../../src/state/redis-client.js';
import { type GatewayProcess, startGatewayProcess } from '../helpers/gateway-process.js';
import { get } from '../helpers/stack.js';

/**
 * Two gateway processes (same config, same flags file) sharing the machine's Redis under a prefix of their own:
 * a pin made through one replica's admin API is obeyed by the other within a second, and the automatic pin-back rule
 * fires once across both when the new path degrades.
 *
 * The fault: `legacy.systems.ticketing` (the origin the new tickets.get handler reads through) points at a TCP relay
 * in front of the simulator that the test can switch to resetting every connection, while `legacy.url` (what the
 * fallback forwards to) stays healthy. The new path fails, legacy still answers: exactly the degradation the rule is for.
 */
const REDIS = process.env.GATEWAY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gwtest:replicas:${randomBytes(4).toString('hex')}:`;
const SLICE = 'tickets.get';

let sim: Simulator;
let relay: Relay;
let dir: string;
let a: GatewayProcess;
let b: GatewayProcess;

interface Relay {
  url: string;
  setFaulty(on: boolean): void;
  close(): Promise<void>;
}

/** A TCP relay to `port`; while faulty it resets every connection, new and open. */
async function startRelay(port: number): Promise<Relay> {
  let faulty = false;
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    client.on('error', () => {});
    if (faulty) return void client.resetAndDestroy();
    const upstream = net.connect(port, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    open.add(client);
    client.on('close', () => open.delete(client));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${own}`,
    setFaulty(on) {
      faulty = on;
      if (on) for (const s of open) s.resetAndDestroy();
    },
    close: () =>
      new Promise((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gw-replicas-'));
  sim = await startSimulator({ port: 0 });
  relay = await startRelay(sim.port);
  const flagsFile = join(dir, 'flags.json');
  writeFileSync(flagsFile, JSON.stringify(applyFlagChange(emptyDoc(), serveFlag(SLICE), { rollout: 100 })));
  const config = {
    legacy: { url: sim.url, systems: { ticketing: relay.url } },
    flags: { file: flagsFile },
    rollback: { minRequests: 50, evaluateEveryMs: 200, windowMinutes: 1 },
  };
  // Shared state through the environment, as a deployment sets it.
  const env = { REDIS_URL: REDIS, GATEWAY_REDIS_PREFIX: prefix };
  [a, b] = await Promise.all([
    startGatewayProcess(dir, config, { name: 'a', env }),
    startGatewayProcess(dir, config, { name: 'b', env }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await relay?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
  const redis = createRedisClient(REDIS);
  redis.on('error', () => {});
  await redis.connect();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const ticket = (gw: GatewayProcess, id = 1) => get(`${gw.publicUrl}/api/v2/tickets/${id}.json`);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('two gateway replicas sharing Redis', () => {
  it('a pin made through replica A is obeyed by replica B within a second', async () => {
    expect((await ticket(a)).servedBy).toBe('new');
    expect((await ticket(b)).servedBy).toBe('new');

    const pin = await a.admin('POST', `/admin/slices/${SLICE}/pin`, { note: 'replica test: bad diffs' });
    expect(pin.status).toBe(200);
    const t0 = Date.now();
    await until('B serves legacy for the pin', async () => {
      const r = await ticket(b);
      return r.servedBy === 'legacy' && r.reason === 'pinned' ? true : undefined;
    });
    const obeyedMs = Date.now() - t0;
    console.log(`[replicas] pin via A obeyed by B after ${obeyedMs} ms`);
    expect(obeyedMs).toBeLessThan(1_000);
    const view = (await b.admin('GET', `/admin/slices/${SLICE}`)).json as { pin: { by: string; note: string } };
    expect(view.pin).toMatchObject({ by: 'chaos-admin', note: 'replica test: bad diffs' });

    expect((await b.admin('POST', `/admin/slices/${SLICE}/unpin`, { note: 'replica test done' })).status).toBe(200);
    await until('A serves the new path again', async () => ((await ticket(a)).servedBy === 'new' ? true : undefined));
  });

  it('a breaker opened on replica A keeps replica B off the new path too (shared breaker state)', async () => {
    const breakerOf = async (gw: GatewayProcess) =>
      (
        (await gw.admin('GET', `/admin/slices/${SLICE}`)).json as {
          breaker: { state: string; calls: number; shared: { replica: string; openUntil: number } | null };
        }
      ).breaker;
    const bCalls = (await breakerOf(b)).calls; // B's own new-path calls so far (the pin test's)
    relay.setFaulty(true);
    // 20 failing attempts on A alone (the breaker's minimum volume); under the pin-back rule's 50.
    for (let i = 0; i < 20; i++) expect((await ticket(a, i + 1)).status).toBe(200);
    expect((await breakerOf(a)).state).toBe('open');
    const seenByB = await until('B knows A’s breaker is open', async () => {
      const br = await breakerOf(b);
      return br.state === 'open' ? br : undefined;
    });
    expect(seenByB.calls).toBe(bCalls); // B never tried the failing path itself
    expect(seenByB.shared?.openUntil).toBeGreaterThan(Date.now());
    for (let i = 0; i < 5; i++) {
      const r = await ticket(b, i + 30);
      expect(r.status).toBe(200);
      expect(r.servedBy).toBe('legacy');
      expect(r.reason).toBe('breaker_open');
    }
    expect((await breakerOf(b)).calls).toBe(bCalls);
  });

  it('a degraded new path is pinned back once across both replicas, then both serve legacy', async () => {
    relay.setFaulty(true);
    let sent = 0;
    const bothPinned = async () => {
      const [va, vb] = await Promise.all([
        a.admin('GET', `/admin/slices/${SLICE}`),
        b.admin('GET', `/admin/slices/${SLICE}`),
      ]);
      const pa = (va.json as { pin: { reason: string } | null }).pin;
      const pb = (vb.json as { pin: { reason: string } | null }).pin;
      return pa?.reason === 'auto_rollback' && pb?.reason === 'auto_rollback';
    };
    // Traffic on both replicas until the rule fires (it needs 50 attempts in the window, summed over replicas). The
    // rule is time-driven (evaluations every 200 ms over counters each replica flushes to Redis every second), so the
    // bound is time, not a request count: a fast machine sends 600 requests before the first flush.
    const started = Date.now();
    while (!(await bothPinned())) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, i) => ticket(i % 2 ? a : b, ((sent + i) % 120) + 1)),
      );
      sent += batch.length;
      for (const r of batch) expect(r.status).toBe(200); // legacy answered every fallback
      if (Date.now() - started > 15_000) throw new Error(`no auto rollback after ${sent} degraded requests in 15 s`);
    }
    console.log(
      `[replicas] auto rollback after ${sent} degraded requests over both replicas in ${Date.now() - started} ms`,
    );
    // Several more evaluation rounds on both replicas (every 200 ms): none may pin again.
    await new Promise((r) => setTimeout(r, 1_500));

    const audit = (await a.admin('GET', '/admin/audit?limit=1000')).json as {
      entries: { action: string; reason?: string; actor: string }[];
    };
    const rollbacks = audit.entries.filter((e) => e.reason === 'auto_rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ action: 'pin', actor: 'auto-rollback' });
    const fired =
      (await a.metricSum('gateway_auto_rollbacks_total', { slice: SLICE })) +
      (await b.metricSum('gateway_auto_rollbacks_total', { slice: SLICE }));
    expect(fired).toBe(1);
    const lines = (g: GatewayProcess) =>
      g.cli
        .stdout()
        .split('\n')
        .filter((l) => l.includes('auto rollback')).length;
    expect(lines(a) + lines(b)).toBe(1);

    relay.setFaulty(false);
    for (const gw of [a, b]) {
      const r = await ticket(gw, 7);
      expect(r.status).toBe(200);
      expect(r.servedBy).toBe('legacy');
      expect(r.reason).toBe('pinned');
    }
  }, 60_000);
});
