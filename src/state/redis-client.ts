import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * The one Redis connection of a gateway process (shared state, diff store, learned noise). Redis must never be on the
 * request path by accident: no offline queue (a command while disconnected fails at once instead of waiting), a short
 * command timeout, one retry, and reconnects in the background with a capped backoff.
 *
 * `REDIS_URL` is `redis://[user:pass@]host:port[/db]` (or `rediss://`); a comma-separated list of `host:port` after
 * `redis+cluster://` selects Redis Cluster (`redis+cluster://10.0.0.1:6379,10.0.0.2:6379`).
 */
export type RedisClient = Redis | Cluster;

export function createRedisClient(url: string, opts: { commandTimeoutMs?: number } = {}): RedisClient {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs ?? 300,
    connectTimeout: 1_000,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2_000),
  };
  if (url.startsWith('redis+cluster://')) {
    const nodes = url
      .slice('redis+cluster://'.length)
      .split(',')
      .map((hp) => {
        const [host, port] = hp.trim().split(':');
        return { host: host || '127.0.0.1', port: Number(port || 6379) };
      });
    return new Cluster(nodes, {
      enableOfflineQueue: false,
      redisOptions: common,
      clusterRetryStrategy: common.retryStrategy as never,
    });
  }
  return new Redis(url, common);
}
