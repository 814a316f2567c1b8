import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { createRedisState } from '../../src/state/redis.js';
import { createRedisClient, type RedisClient } from '../../src/state/redis-client.js';
import { createRollingCounters } from '../../src/state/rolling.js';

const REDIS = process.env.GATEWAY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `gwtest:${randomBytes(4).toString('hex')}:`;
const logger = createLogger({ level: 'silent' });
const clients: RedisClient[] = [];
const closers: Array<() => Promise<void>> = [];

async function client(): Promise<RedisClient> {
  const c = createRedisClient(REDIS);
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}

async function until(cond: () => boolean, ms = 2_000): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
afterAll(async () => {
  const c = await client();
  const keys = await c.keys(`${prefix}*`);
  if (keys.length) await c.del(...keys);
  for (const x of clients) x.disconnect();
});

describe('Redis shared state', () => {
  it('a pin made through one replica is seen by another within a second (pub/sub), and unpin too', async () => {
    const health: boolean[] = [];
    const a = createRedisState({
      redis: await client(),
      prefix,
      auditLogSize: 50,
      logger,
      onHealth: (u) => health.push(u),
    });
    const b = createRedisState({ redis: await client(), prefix, auditLogSize: 50, logger, pollMs: 10_000 });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    await Promise.all([a.ready(), b.ready()]);
    expect(a.healthy()).toBe(true);
    expect(health).toEqual([true]);
    await new Promise((r) => setTimeout(r, 100)); // subscriber connected
    await a.pin({ slice: 's1', reason: 'manual', by: 'lead', at: new Date().toISOString(), note: 'bad diffs' });
    const seenIn = await until(() => b.getPin('s1') !== undefined);
    expect(seenIn).toBeLessThan(1_000);
    await b.unpin('s1');
    await until(() => a.getPin('s1') === undefined);
  });

  it('a breaker opened on one replica is known to another (and its closing too)', async () => {
    const a = createRedisState({ redis: await client(), prefix, auditLogSize: 50, logger });
    const b = createRedisState({ redis: await client(), prefix, auditLogSize: 50, logger, pollMs: 10_000 });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    await Promise.all([a.ready(), b.ready()]);
    await new Promise((r) => setTimeout(r, 100)); // subscriber connected
    expect(b.breakerOpenUntil('s3')).toBe(0);
    const openUntil = Date.now() + 30_000;
    const entry = { slice: 's3', openUntil, replica: 'a:1', at: new Date().toISOString(), calls: 20, failures: 15 };
    await a.publishBreaker(entry);
    await until(() => b.breakerOpenUntil('s3') === openUntil);
    expect(b.breakers()).toEqual([entry]);
    await a.publishBreaker({ ...entry, openUntil: 0, at: new Date(Date.now() + 1).toISOString() });
    await until(() => b.breakerOpenUntil('s3') === 0);
  });

  it('pinIfAbsent makes the pin once across replicas', async () => {
    const a = createRedisState({ redis: await client(), prefix, auditLogSize: 50, logger });
    const b = createRedisState({ redis: await client(), prefix, auditLogSize: 50, logger });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    await Promise.all([a.ready(), b.ready()]);
    const pin = { slice: 's2', reason: 'auto_rollback', by: 'auto-rollback', at: new Date().toISOString(), note: 'x' };
    const results = await Promise.all([a.pinIfAbsent(pin), b.pinIfAbsent(pin), a.pinIfAbsent(pin)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    await until(() => a.getPin('s2') !== undefined && b.getPin('s2') !== undefined);
  });

  it('audit entries are shared, newest first, capped', async () => {
    const a = createRedisState({ redis: await client(), prefix: `${prefix}audit:`, auditLogSize: 3, logger });
    const b = createRedisState({ redis: await client(), prefix: `${prefix}audit:`, auditLogSize: 3, logger });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    await Promise.all([a.ready(), b.ready()]);
    for (let i = 0; i < 5; i++) {
      await (i % 2 ? a : b).appendAudit({ at: `t${i}`, actor: 'x', role: 'admin', action: `a${i}` });
    }
    expect((await a.audit(10)).map((e) => e.action)).toEqual(['a4', 'a3', 'a2']);
  });

  it('degrades to local state when Redis is unreachable and never blocks', async () => {
    const dead = createRedisClient('redis://127.0.0.1:1');
    dead.on('error', () => {});
    dead.connect().catch(() => {});
    clients.push(dead);
    const health: boolean[] = [];
    const s = createRedisState({ redis: dead, prefix, auditLogSize: 10, logger, onHealth: (u) => health.push(u) });
    closers.push(() => s.close());
    const t0 = Date.now();
    await s.ready();
    await s.pin({ slice: 'x', reason: 'manual', by: 'sre', at: new Date().toISOString(), note: 'n' });
    await s.appendAudit({ at: 't', actor: 'sre', role: 'sre', action: 'pin' });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(s.healthy()).toBe(false);
    expect(health).toEqual([false]);
    expect(s.getPin('x')?.by).toBe('sre');
    expect((await s.audit(5)).map((e) => e.action)).toEqual(['pin']);
  });
});

describe('rolling counters', () => {
  it('sum over replicas through Redis, and fall back to local buckets without it', async () => {
    let t = Date.parse('2026-11-26T10:00:30Z');
    const now = () => t;
    const a = createRollingCounters({ redis: await client(), prefix, now, flushMs: 60_000 });
    const b = createRollingCounters({ redis: await client(), prefix, now, flushMs: 60_000 });
    closers.push(
      () => a.close(),
      () => b.close(),
    );
    a.add('s', 'attempts', 100);
    a.add('s', 'fallbacks', 7);
    t += 60_000;
    b.add('s', 'attempts', 150);
    b.add('s', 'fallbacks', 3);
    await a.flush();
    // b has not flushed: a sees only its own and what Redis holds; b sees both (its deltas are added).
    expect((await a.window('s', 5)).totals).toEqual({ attempts: 100, fallbacks: 7 });
    expect(await b.window('s', 5)).toEqual({ totals: { attempts: 250, fallbacks: 10 }, source: 'shared' });
    await b.flush();
    expect((await a.window('s', 5)).totals).toEqual({ attempts: 250, fallbacks: 10 });
    // A one-minute window only sees the current minute.
    expect((await a.window('s', 1)).totals).toEqual({ attempts: 150, fallbacks: 3 });
    const series = await a.series(['s'], 3);
    expect(series.s?.map((p) => p.counts.attempts ?? 0)).toEqual([0, 100, 150]);

    const local = createRollingCounters({ now });
    local.add('s', 'attempts', 5);
    expect(await local.window('s', 5)).toEqual({ totals: { attempts: 5 }, source: 'local' });
  });
});
