import type { NoiseView } from './types.js';

/**
 * Noise cancellation (Diffy's primary/secondary idea). For idempotent reads the shadow runner sometimes asks legacy
 * a second time and reports which contract field paths differ between the two legacy answers. A path that differs
 * between two answers of the same system to the same request is nondeterministic (ids, timestamps, counters): once a
 * slice has enough samples and the path differed often enough, it is *learned* noise and its differences are shown
 * apart from real ones. QA can *accept* a path as an expected difference (with a reason and an expiry; it stays
 * visible) or *reject* a learned path (its differences count as real again).
 */
export type NoiseStatus = 'learning' | 'learned' | 'accepted' | 'rejected';

export interface NoiseEntry {
  slice: string;
  /** Normalised field path (`[]` for indexes). */
  path: string;
  /** Legacy/legacy comparisons of the slice since the path was first seen differing. */
  samples: number;
  /** How many of them differed on this path. */
  differing: number;
  status: NoiseStatus;
  reason?: string;
  by?: string;
  decidedAt?: string;
  /** Accepted differences expire; afterwards the path is judged by what was learned again. */
  expiresAt?: string;
  /** True when an acceptance has expired (kept visible). */
  expired?: boolean;
}

export interface NoiseDecision {
  action: 'accept' | 'reject' | 'reset';
  reason: string;
  by: string;
  /** Accept only: ISO timestamp; default `defaultAcceptDays` from now. */
  expiresAt?: string;
}

/** Where learned noise lives between restarts and across replicas (file or Redis). */
export interface NoisePersistence {
  load(): Promise<NoiseEntry[]>;
  save(entries: NoiseEntry[]): Promise<void>;
}

export interface NoiseLearner extends NoiseView {
  /** One legacy/legacy comparison of `slice`: `differing` are the normalised paths that differed. */
  observe(slice: string, differing: readonly string[]): void;
  /** Samples seen for a slice (for the warm-up of secondary calls). */
  samples(slice: string): number;
  /** Grows whenever what `noiseOf` answers may have changed (a sample, a decision, merged state). */
  version(): number;
  list(slice?: string): NoiseEntry[];
  decide(slice: string, path: string, decision: NoiseDecision): NoiseEntry;
  /** Merge persisted state (other replicas, previous runs); counts take the maximum, decisions the newest. */
  refresh(): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface NoiseOptions {
  /** Samples a slice needs before any path of it is called noise. */
  minSamples: number;
  /** Share of samples that must differ on a path for it to be noise. */
  minRate: number;
  defaultAcceptDays: number;
  persistence?: NoisePersistence | null;
  /** Debounce of saves after changes (ms). */
  saveDelayMs?: number;
  now?: () => number;
  onError?: (err: unknown, op: string) => void;
}

const key = (slice: string, path: string) => `${slice}\u0000${path}`;

export function createNoiseLearner(opts: NoiseOptions): NoiseLearner {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, NoiseEntry>();
  const sliceSamples = new Map<string, number>();
  let saveTimer: NodeJS.Timeout | null = null;
  let version = 0;
  let saving: Promise<void> = Promise.resolve();

  function scheduleSave(): void {
    if (!opts.persistence || saveTimer) return;
    saveTimer = setTimeout(() => {
      saveTimer = null;
      void flush();
    }, opts.saveDelayMs ?? 1_000);
    saveTimer.unref();
  }

  function flush(): Promise<void> {
    if (saveTimer) {
      clearTimeout(saveTimer);
      saveTimer = null;
    }
    const p = opts.persistence;
    if (!p) return Promise.resolve();
    const snapshot = [...entries.values()].map((e) => ({ ...e }));
    saving = saving.then(() =>
      p.save(snapshot).catch((err: unknown) => {
        opts.onError?.(err, 'save');
      }),
    );
    return saving;
  }

  function judge(e: NoiseEntry): void {
    if (e.status === 'accepted' || e.status === 'rejected') return;
    e.status = e.samples >= opts.minSamples && e.differing / e.samples >= opts.minRate ? 'learned' : 'learning';
  }

  function merge(incoming: NoiseEntry): void {
    version++;
    const k = key(incoming.slice, incoming.path);
    const mine = entries.get(k);
    if (!mine) {
      entries.set(k, { ...incoming });
      sliceSamples.set(incoming.slice, Math.max(sliceSamples.get(incoming.slice) ?? 0, incoming.samples));
      return;
    }
    mine.samples = Math.max(mine.samples, incoming.samples);
    mine.differing = Math.max(mine.differing, incoming.differing);
    const theirs = incoming.decidedAt ? Date.parse(incoming.decidedAt) : 0;
    const ours = mine.decidedAt ? Date.parse(mine.decidedAt) : 0;
    if (theirs > ours) {
      mine.status = incoming.status;
      for (const f of ['reason', 'by', 'decidedAt', 'expiresAt'] as const) {
        const v = incoming[f];
        if (v === undefined) delete mine[f];
        else mine[f] = v;
      }
    }
    judge(mine);
  }

  return {
    observe(slice, differing) {
      version++;
      const n = (sliceSamples.get(slice) ?? 0) + 1;
      sliceSamples.set(slice, n);
      const hit = new Set(differing);
      for (const path of hit) {
        const k = key(slice, path);
        if (!entries.has(k)) entries.set(k, { slice, path, samples: 0, differing: 0, status: 'learning' });
      }
      // Every known path of the slice takes part in this sample, differing or not.
      for (const e of entries.values()) {
        if (e.slice !== slice) continue;
        e.samples++;
        if (hit.has(e.path)) e.differing++;
        judge(e);
      }
      if (hit.size > 0) scheduleSave();
    },
    samples: (slice) => sliceSamples.get(slice) ?? 0,
    version: () => version,
    noiseOf(slice, path) {
      const e = entries.get(key(slice, path));
      if (!e) return null;
      if (e.status === 'accepted') {
        if (!e.expiresAt || Date.parse(e.expiresAt) > now()) return 'accepted';
        return e.samples >= opts.minSamples && e.differing / e.samples >= opts.minRate ? 'learned' : null;
      }
      return e.status === 'learned' ? 'learned' : null;
    },
    list(slice) {
      const t = now();
      return [...entries.values()]
        .filter((e) => slice === undefined || e.slice === slice)
        .map((e) => ({
          ...e,
          ...(e.status === 'accepted' && e.expiresAt && Date.parse(e.expiresAt) <= t ? { expired: true } : {}),
        }))
        .sort((a, b) => a.slice.localeCompare(b.slice) || b.differing - a.differing || a.path.localeCompare(b.path));
    },
    decide(slice, path, d) {
      version++;
      const k = key(slice, path);
      let e = entries.get(k);
      if (!e) {
        e = { slice, path, samples: 0, differing: 0, status: 'learning' };
        entries.set(k, e);
      }
      e.decidedAt = new Date(now()).toISOString();
      e.by = d.by;
      e.reason = d.reason;
      if (d.action === 'accept') {
        e.status = 'accepted';
        e.expiresAt = d.expiresAt ?? new Date(now() + opts.defaultAcceptDays * 86_400_000).toISOString();
      } else {
        delete e.expiresAt;
        e.status = d.action === 'reject' ? 'rejected' : 'learning';
        judge(e);
      }
      void flush();
      return { ...e };
    },
    async refresh() {
      const p = opts.persistence;
      if (!p) return;
      try {
        for (const e of await p.load()) merge(e);
      } catch (err) {
        opts.onError?.(err, 'load');
      }
    },
    flush,
    async close() {
      await flush();
    },
  };
}
