import { describe, expect, it } from 'vitest';
import { GRID, gridOf, pooledPercentile } from '../../bench/lib/quantiles.mjs';
import { type Round, type Row, summarise } from '../../bench/lib/report.mjs';

/** Deterministic uniform numbers in (0, 1) (Park–Miller), so a failure can be reproduced. */
function uniform(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

const sample = (n: number, f: () => number) => Float64Array.from({ length: n }, f).sort();
const exact = (xs: Float64Array, p: number) => xs[Math.ceil((p * xs.length) / 100 - 1e-9) - 1] as number;

describe('bench quantile pooling', () => {
  it('reports a run on the grid with nearest-rank percentiles', () => {
    const xs = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    const q = new Map(gridOf(xs));
    expect(q.get(50)).toBe(500);
    expect(q.get(99)).toBe(990);
    expect(q.get(99.9)).toBe(999);
    expect(q.get(100)).toBe(1000);
    expect(GRID.every((p, i) => i === 0 || p > (GRID[i - 1] as number))).toBe(true);
  });

  it('gives back a single run’s own percentiles', () => {
    const r = uniform(7);
    const xs = sample(20_000, () => 1 - Math.log(r()) * 2);
    for (const p of [50, 90, 99, 99.9]) {
      expect(pooledPercentile([{ n: xs.length, q: gridOf(xs) }], p)).toBeCloseTo(exact(xs, p), 4);
    }
  });

  it('pools runs of different sizes and shapes within 1 % of the percentiles of all their requests', () => {
    for (const stall of [0.003, 0.01, 0.03]) {
      const r = uniform(42);
      const fast = sample(60_000, () => 1 - Math.log(r()) * 2);
      // A run in which a stall held a few % of the requests: its distribution jumps between the p97 and the p99.
      const stalled = sample(20_000, () => (r() < stall ? 30 + r() * 20 : 1 - Math.log(r()) * 3));
      const flat = sample(30_000, () => 0.5 + r() * 4);
      const all = Float64Array.from([...fast, ...stalled, ...flat]).sort();
      const runs = [fast, stalled, flat].map((xs) => ({ n: xs.length, q: gridOf(xs) }));
      for (const p of [50, 90, 99, 99.9]) {
        const pooled = pooledPercentile(runs, p) as number;
        expect(Math.abs(pooled / exact(all, p) - 1)).toBeLessThan(0.01);
      }
    }
  });

  it('weighs stalls by the requests they held, where the median of the runs’ p99 keeps or drops them by count', () => {
    const r = uniform(3);
    const run = (stalled: number) => sample(10_000, () => (r() < stalled ? 40 : 1 + r()));
    const p99s = (runs: Float64Array[]) => runs.map((xs) => exact(xs, 99)).sort((a, b) => a - b);
    const pooled = (runs: Float64Array[]) =>
      pooledPercentile(
        runs.map((xs) => ({ n: xs.length, q: gridOf(xs) })),
        99,
      ) as number;
    // Two of five windows stalled for 3 % of their requests: 1.2 % of all requests took 40 ms.
    const two = [run(0), run(0.03), run(0), run(0.03), run(0)];
    expect(p99s(two)[2]).toBeLessThan(2.1); // the median of the windows' p99 drops the stalls
    expect(pooled(two)).toBeGreaterThan(39); // all requests together: their p99 is a stalled one
    // Three of five stalled for 1.2 % each: 0.72 % of all requests.
    const three = [run(0.012), run(0), run(0.012), run(0), run(0.012)];
    expect(p99s(three)[2]).toBe(40);
    expect(pooled(three)).toBeLessThan(2.1);
  });

  it('ignores runs without a grid or without requests, and is null when none has one', () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(
      pooledPercentile(
        [
          { n: 0, q: gridOf(xs) },
          { n: 5, q: undefined },
        ],
        99,
      ),
    ).toBeNull();
    expect(
      pooledPercentile(
        [
          { n: 100, q: gridOf(xs) },
          { n: 5, q: undefined },
        ],
        99,
      ),
    ).toBeCloseTo(99, 6);
  });
});

describe('bench summary over rounds', () => {
  /** One round of `n` requests over 1 s whose latencies are `ms` (sorted). */
  const round = (ms: Float64Array): Round => {
    const q = gridOf(ms);
    const at = (p: number) => exact(ms, p);
    return {
      requests: ms.length,
      seconds: 1,
      rps: ms.length,
      p50: at(50),
      p99: at(99),
      p999: at(99.9),
      q,
      non2xx: 0,
      socketErrors: 0,
    };
  };
  const flat = (n: number, ms: number) => Float64Array.from({ length: n }, () => ms);

  it('pools all rounds but the one with the highest p99, and gives the ratio over each half of the rounds', () => {
    const base = [1, 2, 3, 4, 5, 6, 7, 8].map(() => round(flat(1000, 2)));
    const target = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => round(flat(i % 2 ? 1200 : 1000, i === 3 ? 400 : 1)));
    const rows = summarise(
      [{ name: 'base' }, { name: 'target', baseline: 'base', issue: { rps: 1.05, p99: 1 } }],
      new Map([
        ['base', base],
        ['target', target],
      ]),
    );
    const row = rows.find((r) => r.target === 'target') as Row;
    // Round 3 (a 400 ms stall) is left out; the other seven hold 3 × 1200 + 4 × 1000 requests in 7 s.
    expect(row.leftOut).toEqual({ round: 3, p99: 400 });
    expect(row.rps).toBeCloseTo(7600 / 7, 6);
    expect(row.p99).toBeCloseTo(1, 6);
    expect(row.rpsRatio).toBeCloseTo(7600 / 7 / 1000, 6);
    // Odd rounds (1, 5, 7: 3 × 1200 in 3 s) against the base's four; even rounds (2, 4, 6, 8: 1000 each).
    expect(row.halfRatios?.map((h) => Number(h.rps.toFixed(3)))).toEqual([1.2, 1]);
    expect(row.verdict).toBe('PASS');
  });

  it('pools every round when there are fewer than six', () => {
    const rs = [1, 2, 3].map((i) => round(flat(1000, i)));
    const [row] = summarise([{ name: 'only' }], new Map([['only', rs]]));
    expect(row?.leftOut).toBeNull();
    expect(row?.p99).toBeCloseTo(3, 6);
  });
});
