import type { RedisClient } from './redis-client.js';

/**
 * Rolling per-slice counters in one-minute buckets: what the automatic pin-back rule and the SRE charts read.
 * Counting is a local map increment (the request path never waits for Redis); with Redis the deltas are flushed
 * every second with one pipeline, and windows are read as the sum over all replicas. While Redis is unreachable
 * the deltas are kept (bounded) and reads fall back to this replica's own buckets.
 */
export type RollingField =
  | 'requests'
  | 'attempts'
  | 'fallbacks'
  | 'comparisons'
  | 'mismatches'
  | 'candidate_failures'
  | 'legacy_failed'
  | `fb:${string}`;

export type Totals = Record<string, number>;

export interface SeriesPoint {
  /** Bucket start, ISO. */
  t: string;
  counts: Totals;
}

export interface RollingCounters {
  add(slice: string, field: RollingField, n?: number): void;
  /** Sums of the last `minutes` buckets (the current partial minute included). */
  window(slice: string, minutes: number): Promise<{ totals: Totals; source: 'shared' | 'local' }>;
  /** Per-minute points of every slice for the last `minutes` (charts). */
  series(slices: readonly string[], minutes: number): Promise<Record<string, SeriesPoint[]>>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const MINUTE = 60_000;
const KEEP_MINUTES = 65;

export function createRollingCounters(
  opts: { redis?: RedisClient | null; prefix?: string; flushMs?: number; now?: () => number } = {},
): RollingCounters {
  const now = opts.now ?? Date.now;
  const redis = opts.redis ?? null;
  const prefix = opts.prefix ?? 'gw:';
  /** This replica's own buckets: slice → minute → field → n. */
  const local = new Map<string, Map<number, Totals>>();
  /** Not yet flushed to Redis: `slice|minute` → field → n. */
  let deltas = new Map<string, Totals>();
  const key = (slice: string, minute: number) => `${prefix}roll:${slice}:${minute}`;

  function bump(t: Totals, field: string, n: number): void {
    t[field] = (t[field] ?? 0) + n;
  }
  function prune(buckets: Map<number, Totals>, current: number): void {
    for (const m of buckets.keys()) if (m < current - KEEP_MINUTES) buckets.delete(m);
  }

  async function flush(): Promise<void> {
    if (!redis || deltas.size === 0) return;
    const batch = deltas;
    deltas = new Map();
    const p = redis.pipeline();
    for (const [k, fields] of batch) {
      const [slice, minute] = k.split('|') as [string, string];
      const rk = key(slice, Number(minute));
      for (const [f, n] of Object.entries(fields)) p.hincrby(rk, f, n);
      p.expire(rk, KEEP_MINUTES * 60);
    }
    try {
      const res = await p.exec();
      if (res?.some(([err]) => err)) throw new Error('rolling counter flush partly failed');
    } catch {
      // Keep the counts for the next flush (bounded: an hour of buckets at most).
      const current = Math.floor(now() / MINUTE);
      for (const [k, fields] of batch) {
        if (Number(k.split('|')[1]) < current - KEEP_MINUTES) continue;
        const mine = deltas.get(k) ?? {};
        for (const [f, n] of Object.entries(fields)) bump(mine, f, n);
        deltas.set(k, mine);
      }
    }
  }
  const timer = redis ? setInterval(() => void flush(), opts.flushMs ?? 1_000) : null;
  timer?.unref();

  function localRange(slice: string, from: number, to: number): Map<number, Totals> {
    const out = new Map<number, Totals>();
    const b = local.get(slice);
    for (let m = from; m <= to; m++) out.set(m, { ...(b?.get(m) ?? {}) });
    return out;
  }

  async function sharedRange(slice: string, from: number, to: number): Promise<Map<number, Totals> | null> {
    if (!redis) return null;
    try {
      const p = redis.pipeline();
      for (let m = from; m <= to; m++) p.hgetall(key(slice, m));
      const res = (await p.exec()) ?? [];
      const out = new Map<number, Totals>();
      res.forEach(([err, value], i) => {
        if (err) throw err;
        const t: Totals = {};
        for (const [f, v] of Object.entries((value ?? {}) as Record<string, string>)) t[f] = Number(v);
        // Counts this replica has not flushed yet belong to the window too.
        for (const [f, n] of Object.entries(deltas.get(`${slice}|${from + i}`) ?? {})) bump(t, f, n);
        out.set(from + i, t);
      });
      return out;
    } catch {
      return null;
    }
  }

  async function range(slice: string, minutes: number) {
    const to = Math.floor(now() / MINUTE);
    const from = to - Math.max(1, minutes) + 1;
    const shared = await sharedRange(slice, from, to);
    return shared
      ? { buckets: shared, source: 'shared' as const }
      : { buckets: localRange(slice, from, to), source: 'local' as const };
  }

  return {
    add(slice, field, n = 1) {
      const minute = Math.floor(now() / MINUTE);
      let b = local.get(slice);
      if (!b) {
        b = new Map();
        local.set(slice, b);
      }
      let t = b.get(minute);
      if (!t) {
        t = {};
        b.set(minute, t);
        prune(b, minute);
      }
      bump(t, field, n);
      if (redis) {
        const k = `${slice}|${minute}`;
        let d = deltas.get(k);
        if (!d) {
          d = {};
          deltas.set(k, d);
        }
        bump(d, field, n);
      }
    },
    async window(slice, minutes) {
      const { buckets, source } = await range(slice, minutes);
      const totals: Totals = {};
      for (const t of buckets.values()) for (const [f, n] of Object.entries(t)) bump(totals, f, n);
      return { totals, source };
    },
    async series(slices, minutes) {
      const out: Record<string, SeriesPoint[]> = {};
      for (const slice of slices) {
        const { buckets } = await range(slice, minutes);
        out[slice] = [...buckets].map(([m, counts]) => ({ t: new Date(m * MINUTE).toISOString(), counts }));
      }
      return out;
    },
    flush,
    async close() {
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}
