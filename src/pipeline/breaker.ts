/**
 * Per-slice circuit breaker in the spirit of opossum / Envoy outlier detection: error % over a rolling window of
 * time buckets, a minimum volume, and exactly one half-open probe after the open period.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  windowMs: number;
  buckets: number;
  errorThresholdPercent: number;
  minimumRequests: number;
  openMs: number;
  now?: () => number;
  onStateChange?: (state: BreakerState, stats: { calls: number; failures: number }) => void;
}

export interface Breaker {
  readonly state: BreakerState;
  /** May this request try the new path? In half-open, true for exactly one probe at a time. */
  tryAcquire(): boolean;
  success(): void;
  failure(): void;
  /** The permit was not used (client went away before an outcome). */
  release(): void;
  stats(): { calls: number; failures: number; openedAt: number | null };
}

export function createBreaker(o: BreakerOptions): Breaker {
  const now = o.now ?? Date.now;
  const bucketMs = Math.max(1, Math.floor(o.windowMs / o.buckets));
  const calls = new Array<number>(o.buckets).fill(0);
  const fails = new Array<number>(o.buckets).fill(0);
  let lastBucket = Math.floor(now() / bucketMs);
  let state: BreakerState = 'closed';
  let openedAt: number | null = null;
  let probeInFlight = false;

  function rotate(): number {
    const b = Math.floor(now() / bucketMs);
    const steps = Math.min(b - lastBucket, o.buckets);
    for (let i = 1; i <= steps; i++) {
      const idx = (lastBucket + i) % o.buckets;
      calls[idx] = 0;
      fails[idx] = 0;
    }
    lastBucket = b;
    return b % o.buckets;
  }
  function totals() {
    rotate();
    let c = 0;
    let f = 0;
    for (let i = 0; i < o.buckets; i++) {
      c += calls[i] as number;
      f += fails[i] as number;
    }
    return { calls: c, failures: f };
  }
  function transition(next: BreakerState) {
    if (next === state) return;
    state = next;
    o.onStateChange?.(next, totals());
  }
  function resetWindow() {
    calls.fill(0);
    fails.fill(0);
  }

  return {
    get state() {
      if (state === 'open' && openedAt !== null && now() - openedAt >= o.openMs) return 'half_open';
      return state;
    },
    tryAcquire() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (openedAt !== null && now() - openedAt >= o.openMs) {
          transition('half_open');
        } else return false;
      }
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },
    success() {
      if (state === 'half_open') {
        probeInFlight = false;
        resetWindow();
        openedAt = null;
        transition('closed');
        return;
      }
      const i = rotate();
      calls[i] = (calls[i] as number) + 1;
    },
    failure() {
      if (state === 'half_open') {
        probeInFlight = false;
        openedAt = now();
        transition('open');
        return;
      }
      const i = rotate();
      calls[i] = (calls[i] as number) + 1;
      fails[i] = (fails[i] as number) + 1;
      if (state === 'closed') {
        const t = totals();
        if (t.calls >= o.minimumRequests && (t.failures * 100) / t.calls > o.errorThresholdPercent) {
          openedAt = now();
          transition('open');
        }
      }
    },
    release() {
      if (state === 'half_open') probeInFlight = false;
    },
    stats() {
      return { ...totals(), openedAt };
    },
  };
}

/**
 * This replica's breaker, also closed to the new path while another replica's breaker holds the slice open (shared
 * state): one replica finding a new path failing spares the others from finding it again. `openUntil` is a local
 * read (epoch ms, 0 when none); the local breaker keeps its own window, probe and state.
 */
export function withSharedOpen(local: Breaker, openUntil: () => number, now: () => number = Date.now): Breaker {
  const sharedOpen = () => {
    const until = openUntil();
    return until !== 0 && until > now();
  };
  return {
    get state() {
      const s = local.state;
      return s === 'closed' && sharedOpen() ? 'open' : s;
    },
    tryAcquire() {
      if (local.state === 'closed' && sharedOpen()) return false;
      return local.tryAcquire();
    },
    success: () => local.success(),
    failure: () => local.failure(),
    release: () => local.release(),
    stats: () => local.stats(),
  };
}
