import type { Cluster, Redis } from 'ioredis';
import type { DiffPage, DiffQuery, DiffRecord, DiffSummary } from '../types.js';
import {
  type CountingDiffStore,
  compileFilter,
  count,
  countersAnswer,
  decodeCursor,
  decodeRecord,
  encodeCursor,
  encodeForStore,
  type Filter,
  matches,
  metaOf,
  pageSize,
  summaryFrom,
} from './query.js';

export interface RedisDiffStoreOptions {
  /** The caller's client: `enableOfflineQueue: false` and a short `commandTimeout`, so no command ever waits long. */
  redis: Redis | Cluster;
  /** Key prefix shared with the gateway's other Redis keys, e.g. `gw:`. */
  prefix: string;
  /** Stream length kept (approximately: `MAXLEN ~`). */
  cap: number;
  /** Quit the client on `close()` (only when this store created it). Default false: a shared client stays open. */
  ownsClient?: boolean;
}

/** Entries one `list` page may examine per requested item before it returns with a cursor. */
export const SCAN_FACTOR = 10;
/** `since` bounds the stream scan by the entry ids, which come from Redis' clock: allow this much clock skew. */
export const SINCE_SKEW_MS = 60_000;
const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

/**
 * Diff records in a capped Redis stream shared by every gateway replica.
 *
 * Keys (all carry the hash tag `{diffs}`, so they sit in one Redis Cluster slot and one MULTI may touch them all):
 * - `<prefix>{diffs}` — the stream, one field `r` = the record as JSON, trimmed with `XADD MAXLEN ~ cap`;
 * - `<prefix>{diffs}:sum:<slice>` — the slice's summary counters (hash; field names in query.ts), and
 *   `<prefix>{diffs}:slices` — the set of slice names. They are incremented in the same MULTI as the XADD and never
 *   trimmed: summaries count every record ever added, across replicas and restarts.
 *
 * The record id IS the stream entry id (`1718000000000-0`): `get` is one XRANGE and there is no second index to trim
 * in step with the stream. The caller's `record.id` is replaced (correlate with `requestId`).
 *
 * `list` pages with XREVRANGE from the cursor (an exclusive stream id) and filters while reading; a page examines at
 * most SCAN_FACTOR × limit entries, so a rare filter returns a short (even empty) page with a cursor to continue.
 * A page that ends exactly at the last match may still carry a cursor; the next page is then empty with none.
 *
 * Failures: commands fail fast (no offline queue, the client's command timeout). `add` rejects with the Redis error
 * and counts the lost record in `dropped()`; it logs nothing, the caller counts and logs.
 */
export function createRedisDiffStore(opts: RedisDiffStoreOptions): CountingDiffStore {
  const { redis, prefix } = opts;
  const cap = Math.max(1, Math.floor(opts.cap));
  const stream = `${prefix}{diffs}`;
  const slicesKey = `${prefix}{diffs}:slices`;
  const sliceKey = (slice: string) => `${prefix}{diffs}:sum:${slice}`;
  let dropped = 0;

  /** Reads newest first below `end` (exclusive when it starts with `(`) down to `start`, `batch` entries at a time. */
  async function* entries(end: string, start: string, batch: number, budget: number) {
    let examined = 0;
    while (examined < budget) {
      const want = Math.min(batch, budget - examined);
      const rows = await redis.xrevrange(stream, end, start, 'COUNT', want);
      for (const [id, fields] of rows) {
        examined++;
        yield { id, record: decodeRecord(fieldValue(fields, 'r'), id) };
      }
      const last = rows[rows.length - 1];
      if (rows.length < want || !last) return;
      end = `(${last[0]}`;
    }
  }

  const lowerBound = (f: Filter) =>
    f.sinceMs === undefined ? '-' : String(Math.max(0, Math.floor(f.sinceMs) - SINCE_SKEW_MS));

  return {
    backend: 'redis',
    async add(record) {
      const { meta, json } = encodeForStore(record);
      const tx = redis.multi();
      tx.xadd(stream, 'MAXLEN', '~', String(cap), '*', 'r', json);
      const hash = sliceKey(meta.slice);
      const fields = new Map<string, number>();
      count(new Map([[meta.slice, fields]]), meta);
      for (const [field, n] of fields) tx.hincrby(hash, field, n);
      tx.sadd(slicesKey, meta.slice);
      try {
        const results = await tx.exec();
        if (!results) throw new Error('diff store transaction aborted');
        for (const [err] of results) if (err) throw err;
      } catch (err) {
        dropped++;
        throw err;
      }
    },
    async list(query: DiffQuery): Promise<DiffPage> {
      const f = compileFilter(query);
      const limit = pageSize(query.limit);
      const end = query.cursor ? `(${decodeCursor('r', query.cursor, STREAM_ID)}` : '+';
      const budget = SCAN_FACTOR * limit;
      const items: DiffRecord[] = [];
      let examined = 0;
      let lastId: string | null = null;
      for await (const e of entries(end, lowerBound(f), Math.min(budget, 200), budget)) {
        examined++;
        lastId = e.id;
        if (!e.record || !matches(metaOf(e.record), f)) continue;
        items.push(e.record);
        if (items.length === limit) return { items, nextCursor: encodeCursor('r', e.id) };
      }
      // Out of budget with the stream not exhausted: hand back where the scan stopped.
      const more = examined === budget && lastId !== null;
      return { items, nextCursor: more ? encodeCursor('r', lastId as string) : null };
    },
    async get(id) {
      if (!STREAM_ID.test(id)) return undefined;
      const rows = await redis.xrange(stream, id, id);
      const row = rows[0];
      return row ? decodeRecord(fieldValue(row[1], 'r'), row[0]) : undefined;
    },
    async summary(query): Promise<DiffSummary> {
      const f = compileFilter(query);
      if (countersAnswer(f)) {
        const slices = f.slice !== undefined ? [f.slice] : await redis.smembers(slicesKey);
        if (slices.length === 0) return summaryFrom([]);
        const p = redis.pipeline();
        for (const s of slices) p.hgetall(sliceKey(s));
        const results = (await p.exec()) ?? [];
        return summaryFrom(
          slices.map((s, i): [string, Array<[string, string]>] => {
            const [err, value] = results[i] ?? [null, {}];
            if (err) throw err;
            return [s, Object.entries((value ?? {}) as Record<string, string>)];
          }),
        );
      }
      // Other filters: computed from the records still in the stream (about `cap`; approximate trimming adds a node).
      const scanned = new Map<string, Map<string, number>>();
      for await (const e of entries('+', lowerBound(f), 500, cap + 1000)) {
        if (e.record) {
          const m = metaOf(e.record);
          if (matches(m, f)) count(scanned, m);
        }
      }
      return summaryFrom(scanned);
    },
    dropped: () => dropped,
    async close() {
      if (!opts.ownsClient) return;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
