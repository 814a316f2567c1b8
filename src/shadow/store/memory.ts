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
  matches,
  pageSize,
  type RecordMeta,
  summaryFrom,
} from './query.js';

export const DEFAULT_CAP = 5000;
/** Default memory budget of the kept records (their JSON, in UTF-8 bytes). */
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

interface Entry {
  seq: number;
  id: string;
  meta: RecordMeta;
  /** The record's JSON as UTF-8, in a backing store of its own outside the V8 heap (see `offHeap`). */
  data: Buffer;
}

/**
 * A record's JSON as UTF-8 bytes outside the V8 heap. As a string it would sit in the old generation until evicted:
 * promoted on arrival (every record outlives two scavenges), marked by every full collection, and stored two bytes
 * per character, because the masker's `‹pii:…›` markers make nearly every record a two-byte string (~3.5 KB of heap
 * for a 1.6 KB record). Off the heap only a small wrapper is promoted. `allocUnsafeSlow`, not `Buffer.from`: a pooled
 * buffer would keep the whole 8 KB slab it shares with short-lived request buffers alive as long as the record.
 */
function offHeap(json: string): Buffer {
  const data = Buffer.allocUnsafeSlow(Buffer.byteLength(json, 'utf8'));
  data.write(json, 'utf8');
  return data;
}

const decodeEntry = (e: Entry): DiffRecord | undefined => decodeRecord(e.data.toString('utf8'), e.id);

/**
 * The default diff store: a ring buffer of the newest `cap` records (fewer when they would take more than `maxBytes`
 * of JSON: a store of large mismatch records must not grow the process past what it is given), kept as JSON (one
 * compact UTF-8 buffer each, off the V8 heap, parsed only when a page is served) next to the small metadata the
 * filters read.
 *
 * - Ids are assigned here, shaped like Redis stream ids (`<ms>-<seq>`), so clients treat both stores alike; the
 *   caller's `record.id` is ignored.
 * - Cursors name a sequence number: a page continues strictly below it, so records added meanwhile neither shift nor
 *   repeat later pages. A cursor older than the buffer simply ends the listing.
 * - Summary counters live apart from the buffer and count every record ever added to this process (eviction does not
 *   lower them). A summary filtered by anything other than the slice cannot use them and is computed from the records
 *   still in the buffer.
 */
export function createMemoryDiffStore(opts: { cap?: number; maxBytes?: number } = {}): CountingDiffStore {
  const cap = Math.max(1, Math.floor(opts.cap ?? DEFAULT_CAP));
  const maxBytes = Math.max(1, Math.floor(opts.maxBytes ?? DEFAULT_MAX_BYTES));
  const ring: Array<Entry | undefined> = new Array(cap);
  const byId = new Map<string, Entry>();
  const counters = new Map<string, Map<string, number>>();
  let next = 0;
  /** The oldest record kept, and the JSON bytes of all kept. */
  let first = 0;
  let bytes = 0;
  let lastMs = 0;
  let msSeq = 0;

  function newId(): string {
    const now = Date.now();
    if (now > lastMs) {
      lastMs = now;
      msSeq = 0;
    } else msSeq++;
    return `${lastMs}-${msSeq}`;
  }

  function evictOldest(): void {
    const slot = first % cap;
    const old = ring[slot];
    if (old) {
      byId.delete(old.id);
      bytes -= old.data.length;
      ring[slot] = undefined;
    }
    first++;
  }

  /** Entries newest first, strictly below `below`. */
  function* newestFirst(below: number): Generator<Entry> {
    for (let seq = Math.min(below, next) - 1; seq >= first; seq--) {
      const e = ring[seq % cap];
      if (e && e.seq === seq) yield e;
    }
  }

  return {
    backend: 'memory',
    async add(record) {
      const id = newId();
      const { meta, json } = encodeForStore(record);
      const data = offHeap(json);
      const entry: Entry = { seq: next, id, meta, data };
      // The newest record is always kept (MAX_RECORD_CHARS bounds it); older ones go while over either limit.
      while (first < next && (next - first >= cap || bytes + data.length > maxBytes)) evictOldest();
      ring[next % cap] = entry;
      byId.set(id, entry);
      bytes += data.length;
      next++;
      count(counters, meta);
    },
    async list(query: DiffQuery): Promise<DiffPage> {
      const f = compileFilter(query);
      const limit = pageSize(query.limit);
      const below = query.cursor ? Number(decodeCursor('m', query.cursor, /^\d{1,15}$/)) : next;
      const items: DiffRecord[] = [];
      let lastSeq = -1;
      for (const e of newestFirst(below)) {
        if (!matches(e.meta, f)) continue;
        if (items.length === limit) return { items, nextCursor: encodeCursor('m', String(lastSeq)) };
        const r = decodeEntry(e);
        if (!r) continue;
        items.push(r);
        lastSeq = e.seq;
      }
      return { items, nextCursor: null };
    },
    async get(id) {
      const e = byId.get(id);
      return e ? decodeEntry(e) : undefined;
    },
    async summary(query): Promise<DiffSummary> {
      const f = compileFilter(query);
      if (countersAnswer(f)) {
        const only = f.slice !== undefined ? counters.get(f.slice) : undefined;
        if (f.slice !== undefined) return summaryFrom(only ? [[f.slice, only]] : []);
        return summaryFrom(counters);
      }
      const scanned = new Map<string, Map<string, number>>();
      for (const e of newestFirst(next)) if (matches(e.meta, f)) count(scanned, e.meta);
      return summaryFrom(scanned);
    },
    dropped: () => 0,
    async close() {
      ring.fill(undefined);
      byId.clear();
    },
  };
}
