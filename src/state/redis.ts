import type { Logger } from '../observability/logger.js';
import type { RedisClient } from './redis-client.js';
import type { AuditEntry, Pin, SharedBreaker, StateStore } from './types.js';

export interface RedisStateOptions {
  redis: RedisClient;
  prefix: string;
  auditLogSize: number;
  logger: Logger;
  /** How often the local cache is re-read from Redis (besides pub/sub notifications). */
  pollMs?: number;
  /** Called on every health transition (metric). */
  onHealth?: (up: boolean) => void;
}

type PendingOp =
  | { kind: 'pin'; pin: Pin }
  | { kind: 'unpin'; slice: string }
  | { kind: 'audit'; entry: AuditEntry }
  | { kind: 'breaker'; entry: SharedBreaker };

/**
 * Shared state in Redis: pins and breaker states in hashes, the audit log in a capped list, change notifications on a
 * pub/sub channel.
 * Reads come from a local cache (refreshed on every notification and every `pollMs`), so a request never waits for
 * Redis. While Redis is unreachable the cache keeps the last known pins, new writes apply locally and queue, the
 * health gauge drops and one log line says so; when Redis answers again the queued writes are replayed in order and
 * the cache is replaced by what Redis holds, so replicas converge.
 */
export function createRedisState(opts: RedisStateOptions): StateStore & { ready(): Promise<void> } {
  const { redis, prefix, logger } = opts;
  const pinsKey = `${prefix}pins`;
  const auditKey = `${prefix}audit`;
  const breakersKey = `${prefix}breakers`;
  const channel = `${prefix}events`;
  const pins = new Map<string, Pin>();
  const breakers = new Map<string, SharedBreaker>();
  const pending: PendingOp[] = [];
  const localAudit: AuditEntry[] = [];
  const listeners = new Set<() => void>();
  let up = false;
  let known = false;
  let closed = false;
  let version = 0;
  let refreshing: Promise<void> | null = null;

  const changed = () => {
    for (const l of listeners) l();
  };
  function health(ok: boolean, err?: unknown): void {
    if (known && ok === up) return;
    known = true;
    up = ok;
    opts.onHealth?.(ok);
    if (ok) logger.info({ backend: 'redis' }, 'shared state reachable: replicas share pins, audit and counters');
    else logger.warn({ backend: 'redis', err }, 'shared state unreachable: serving on local state until Redis returns');
  }

  async function flushPending(): Promise<void> {
    while (pending.length > 0) {
      const op = pending[0] as PendingOp;
      if (op.kind === 'pin') await redis.hset(pinsKey, op.pin.slice, JSON.stringify(op.pin));
      else if (op.kind === 'unpin') await redis.hdel(pinsKey, op.slice);
      else if (op.kind === 'breaker') await redis.hset(breakersKey, op.entry.slice, JSON.stringify(op.entry));
      else
        await redis
          .multi()
          .lpush(auditKey, JSON.stringify(op.entry))
          .ltrim(auditKey, 0, opts.auditLogSize - 1)
          .exec();
      pending.shift();
    }
    await redis.publish(channel, 'pins');
  }

  async function doRefresh(): Promise<void> {
    try {
      if (pending.length > 0) await flushPending();
      const started = version;
      const [all, shared] = await Promise.all([redis.hgetall(pinsKey), redis.hgetall(breakersKey)]);
      health(true);
      readBreakers(shared);
      if (version !== started) return; // a local write raced this read; the next refresh sees it
      const next = new Map<string, Pin>();
      for (const [slice, json] of Object.entries(all)) {
        try {
          next.set(slice, JSON.parse(json) as Pin);
        } catch {
          logger.warn({ slice }, 'unreadable pin in Redis ignored');
        }
      }
      let differs = next.size !== pins.size;
      for (const [k, v] of next) if (!differs && pins.get(k)?.at !== v.at) differs = true;
      if (differs) {
        pins.clear();
        for (const [k, v] of next) pins.set(k, v);
        changed();
      }
    } catch (err) {
      health(false, err);
    }
  }
  function readBreakers(shared: Record<string, string>): void {
    for (const [slice, json] of Object.entries(shared)) {
      try {
        const e = JSON.parse(json) as SharedBreaker;
        const mine = breakers.get(slice);
        // A newer local announcement not yet in Redis wins over what Redis still holds.
        if (!mine || mine.at <= e.at) breakers.set(slice, { ...e, slice });
      } catch {
        logger.warn({ slice }, 'unreadable breaker state in Redis ignored');
      }
    }
  }
  function refresh(): Promise<void> {
    refreshing ??= doRefresh().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  const subscriber = redis.duplicate();
  subscriber.on('error', () => {});
  subscriber.on('message', () => void refresh());
  // (Re)subscribe whenever the subscriber connection becomes ready, and catch up on what was missed meanwhile.
  subscriber.on('ready', () => {
    if (closed) return;
    subscriber.subscribe(channel).catch(() => {});
    void refresh();
  });
  subscriber.connect().catch(() => {});
  const poll = setInterval(() => void refresh(), opts.pollMs ?? 500);
  poll.unref();

  async function write(op: PendingOp, apply: () => Promise<unknown>): Promise<void> {
    version++;
    if (!up || pending.length > 0) {
      pending.push(op);
      void refresh();
      return;
    }
    try {
      await apply();
      await redis.publish(channel, 'pins');
    } catch (err) {
      pending.push(op);
      health(false, err);
    }
  }

  return {
    backend: 'redis',
    ready: () => refresh(),
    getPin: (slice) => pins.get(slice),
    pins: () => [...pins.values()],
    healthy: () => up,
    breakerOpenUntil: (slice) => breakers.get(slice)?.openUntil ?? 0,
    breakers: () => [...breakers.values()],
    async publishBreaker(entry) {
      breakers.set(entry.slice, entry);
      await write({ kind: 'breaker', entry }, () => redis.hset(breakersKey, entry.slice, JSON.stringify(entry)));
    },
    async pin(pin) {
      pins.set(pin.slice, pin);
      changed();
      await write({ kind: 'pin', pin }, () => redis.hset(pinsKey, pin.slice, JSON.stringify(pin)));
    },
    async pinIfAbsent(pin) {
      if (pins.has(pin.slice)) return false;
      version++;
      if (up && pending.length === 0) {
        try {
          const made = await redis.hsetnx(pinsKey, pin.slice, JSON.stringify(pin));
          if (made === 1) {
            pins.set(pin.slice, pin);
            changed();
            await redis.publish(channel, 'pins').catch(() => {});
            return true;
          }
          await refresh();
          return false;
        } catch (err) {
          health(false, err);
        }
      }
      // Degraded: decide locally (another replica may decide the same; both pins say the same thing).
      pins.set(pin.slice, pin);
      changed();
      pending.push({ kind: 'pin', pin });
      return true;
    },
    async unpin(slice) {
      const prev = pins.get(slice);
      if (prev) {
        pins.delete(slice);
        changed();
      }
      await write({ kind: 'unpin', slice }, () => redis.hdel(pinsKey, slice));
      return prev;
    },
    async appendAudit(entry) {
      localAudit.push(entry);
      if (localAudit.length > opts.auditLogSize) localAudit.splice(0, localAudit.length - opts.auditLogSize);
      await write({ kind: 'audit', entry }, () =>
        redis
          .multi()
          .lpush(auditKey, JSON.stringify(entry))
          .ltrim(auditKey, 0, opts.auditLogSize - 1)
          .exec(),
      );
    },
    async audit(limit) {
      try {
        const rows = await redis.lrange(auditKey, 0, limit - 1);
        const shared = rows.flatMap((r) => {
          try {
            return [JSON.parse(r) as AuditEntry];
          } catch {
            return [];
          }
        });
        const queued = pending.flatMap((op) => (op.kind === 'audit' ? [op.entry] : [])).reverse();
        return [...queued, ...shared].slice(0, limit);
      } catch {
        return localAudit.slice(-limit).reverse();
      }
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      listeners.clear();
      if (pending.length > 0 && up) await flushPending().catch(() => {});
      subscriber.disconnect();
    },
  };
}
