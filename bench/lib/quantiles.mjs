/**
 * Pooling latency distributions over rounds. Each load run (wrk through wrk-report.lua, rate-child.mjs,
 * autocannon-child.mjs) reports its latency quantile function on a fixed grid of percentiles (`q`: [[percentile,
 * ms], …], dense in the tail). A target's p99 over all its rounds is then the p99 of all its requests together
 * (every run weighted by its request count), not the median of per-round p99s: on a machine whose stalls land in
 * some windows and not others, a median of five per-round p99s keeps or drops a stall by chance, while the pooled
 * figure counts every stall once for what it cost. With rounds interleaved across targets, the stalls fall on every
 * target alike, so the ratios between targets converge as rounds are added.
 */

/**
 * The percentiles each run reports: every 1 % up to 89, every 0.1 % from 90 to 99.9, every 0.01 % to 99.99, 99.995,
 * 100. Dense from the p90 on, where a run's distribution can jump (a stall that holds a few % of its requests): a
 * coarse grid there would interpolate across the jump and misplace the pooled p99 by several percent.
 */
export const GRID = [
  ...Array.from({ length: 89 }, (_, i) => i + 1),
  ...Array.from({ length: 100 }, (_, i) => (900 + i) / 10),
  ...Array.from({ length: 9 }, (_, i) => (9991 + i) / 100),
  99.995,
  100,
];

/** Nearest-rank p-th percentile of the first n values of a sorted sample; NaN when n is 0. */
export function nearestRank(sorted, n, p) {
  if (n === 0) return Number.NaN;
  // (p × n) / 100 with a tolerance: 99.9 / 100 × 1000 is 999.0000000000001 in floating point, and must rank 999.
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil((p * n) / 100 - 1e-9) - 1))];
}

/** Grid of a sorted sample (any unit): nearest-rank percentiles, as wrk computes its own. */
export function gridOf(sorted, n = sorted.length) {
  return n === 0 ? [] : GRID.map((p) => [p, nearestRank(sorted, n, p)]);
}

/** Fraction of a run's requests at or below x (ms), interpolated linearly between grid points. */
function cdf(q, x) {
  if (x < q[0][1]) return q[0][1] > 0 ? (q[0][0] / 100) * Math.max(0, x / q[0][1]) : 0;
  for (let i = 1; i < q.length; i++) {
    const [p1, v1] = q[i];
    if (x < v1) {
      const [p0, v0] = q[i - 1];
      return (p0 + ((p1 - p0) * (x - v0)) / (v1 - v0)) / 100;
    }
  }
  return 1;
}

/**
 * The p-th percentile of the union of runs ([{ n: requests, q: grid }]): the latency x at which the runs' interpolated
 * distribution functions, weighted by their request counts, reach p %. Null when no run reported a grid.
 */
export function pooledPercentile(runs, p) {
  const rs = runs.filter((r) => r.n > 0 && Array.isArray(r.q) && r.q.length > 1);
  if (!rs.length) return null;
  const total = rs.reduce((s, r) => s + r.n, 0);
  const goal = p / 100;
  let lo = 0;
  let hi = Math.max(...rs.map((r) => r.q[r.q.length - 1][1]));
  const at = (x) => rs.reduce((s, r) => s + r.n * cdf(r.q, x), 0) / total;
  if (at(hi) < goal) return hi;
  for (let i = 0; i < 60 && hi - lo > 1e-6; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) >= goal) hi = mid;
    else lo = mid;
  }
  return hi;
}
