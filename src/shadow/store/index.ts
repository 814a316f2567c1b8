import { Redis } from 'ioredis';
import { createMemoryDiffStore, DEFAULT_CAP } from './memory.js';
import type { CountingDiffStore } from './query.js';
import { createRedisDiffStore } from './redis.js';

export type { CountingDiffStore } from './query.js';

export interface DiffStoreOptions {
  /** `redis://…` selects the Redis store; absent or null the memory store. */
  redisUrl?: string | null;
  /** Redis key prefix (default `gw:`). */
  prefix?: string;
  /** Records kept (default 5000). */
  cap?: number;
  /** Memory store only: JSON characters kept at most (default 32 MiB); Redis bounds its own memory (`maxmemory`). */
  maxBytes?: number;
  /** How long to wait for the first Redis connection (default 2000 ms). */
  connectTimeoutMs?: number;
}

/**
 * The diff store for a configuration: memory by default, Redis Streams with a URL. The Redis client is made for a
 * store that must never hang its process: no offline queue (a command while disconnected fails at once), one retry,
 * a 500 ms command timeout, reconnects in the background with a capped backoff.
 *
 * Redis being down at start is not fatal: the wait for the first connection is bounded, the store is returned anyway
 * (diff records are not worth refusing traffic for), `add` rejects and counts drops until the connection is back, and
 * admin reads fail with the Redis error.
 */
export async function createDiffStore(opts: DiffStoreOptions = {}): Promise<CountingDiffStore> {
  const cap = opts.cap ?? DEFAULT_CAP;
  if (!opts.redisUrl) return createMemoryDiffStore({ cap, ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}) });
  const redis = new Redis(opts.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 500,
    connectTimeout: 1_000,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
  });
  // Errors reach callers as rejected commands (and dropped()); without a listener ioredis prints each one.
  redis.on('error', () => {});
  await connectWithin(redis, opts.connectTimeoutMs ?? 2_000);
  return createRedisDiffStore({ redis, prefix: opts.prefix ?? 'gw:', cap, ownsClient: true });
}

/** Resolves true once connected, false after `ms` (the client keeps reconnecting in the background). */
export async function connectWithin(redis: Redis, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ready = new Promise<boolean>((resolve) => {
    if (redis.status === 'ready') return resolve(true);
    redis.once('ready', () => resolve(true));
    if (redis.status === 'wait') redis.connect().catch(() => {});
  });
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([ready, late]);
  } finally {
    clearTimeout(timer);
  }
}
