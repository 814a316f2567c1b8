import { Counter, type CounterConfiguration, type Metric, type Registry } from 'prom-client';

/**
 * Request-path metrics without prom-client's per-call cost. A prom-client child's `inc()` / `observe()` rebuilds the
 * label object, validates it and hashes it on every call (1.6–2 µs for one `inc` + one `observe` on this machine,
 * 2–4 % of the passthrough's CPU in the profile). Here each label set is a plain object of numbers that the request
 * path adds to, and the totals reach the scrape only when the metrics are read (`/metrics`, or `get()` in process):
 *
 * - `CounterTally`: the counts are folded into an ordinary prom-client Counter by its `collect` hook, so the counter's
 *   other users (`labels().inc()` elsewhere, `get()`, resets) keep working unchanged.
 * - `TallyHistogram`: a histogram with prom-client's exposition (same `_bucket{le}` / `_sum` / `_count` series and
 *   JSON shape), registered in the Registry as a metric of its own: folding counts into prom-client's Histogram would
 *   need either one `observe()` per request at scrape time or its private state.
 */

export interface TallyChild {
  inc(by?: number): void;
}

interface CounterEntry extends TallyChild {
  readonly values: readonly string[];
  n: number;
}

/** Local counts for some of a Counter's label sets; `fold(counter)` from the counter's `collect`. */
export class CounterTally {
  private readonly entries = new Map<string, CounterEntry>();

  /**
   * The child for one label set (values in the counter's labelNames order): the same child for the same values, so a
   * caller that forgets to keep it costs a key join per call, never a growing list. Keep it anyway on the request path.
   */
  child(...values: string[]): TallyChild {
    const key = values.join('\u0000');
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = {
        values,
        n: 0,
        inc(by = 1) {
          this.n += by;
        },
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Drops the counts not yet folded (the counter was reset). */
  clear(): void {
    for (const e of this.entries.values()) e.n = 0;
  }

  fold(counter: Counter<string>): void {
    for (const e of this.entries.values()) {
      if (e.n === 0) continue;
      const n = e.n;
      e.n = 0;
      counter.labels(...e.values).inc(n);
    }
  }
}

/** A prom-client Counter whose `tally(...values)` children count locally (keep them: looking one up joins a key). */
export type TalliedCounter<L extends string> = Counter<L> & { tally(...values: string[]): TallyChild };

export function talliedCounter<L extends string>(config: CounterConfiguration<L>): TalliedCounter<L> {
  const local = new CounterTally();
  const counter = new Counter<L>({
    ...config,
    collect() {
      local.fold(this as unknown as Counter<string>);
    },
  });
  // A reset (registry.resetMetrics()) also drops what the children counted since the last read.
  const reset = counter.reset.bind(counter);
  counter.reset = () => {
    local.clear();
    reset();
  };
  return Object.assign(counter, { tally: (...values: string[]) => local.child(...values) });
}

export interface HistogramChild {
  observe(value: number): void;
}

interface HistogramSeries extends HistogramChild {
  readonly labels: Record<string, string>;
  /** Per-bucket (non-cumulative) counts; the last slot is above the highest bound (+Inf only). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface HistogramValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

interface HistogramData {
  name: string;
  help: string;
  type: 'histogram';
  values: HistogramValue[];
  aggregator: 'sum';
}

export interface TallyHistogramConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  buckets: readonly number[];
  registers: Registry[];
}

/** A labelled histogram for the request path; children are made on first use and should be kept by the caller. */
export class TallyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly string[];
  private readonly bounds: Float64Array;
  private series = new Map<string, HistogramSeries>();

  constructor(config: TallyHistogramConfig) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    const sorted = [...config.buckets].sort((a, b) => a - b);
    if (sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new Error(`${config.name}: buckets must be finite and distinct`);
    }
    this.bounds = Float64Array.from(sorted);
    for (const r of config.registers) r.registerMetric(this as unknown as Metric);
  }

  /** The child for one label set, in labelNames order (the same child on every call with the same values). */
  labels(...values: string[]): HistogramChild {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i] as string;
      });
      const bounds = this.bounds;
      s = {
        labels,
        counts: new Float64Array(bounds.length + 1),
        sum: 0,
        count: 0,
        observe(value: number) {
          if (!Number.isFinite(value)) return; // a clock glitch must not poison _sum
          let b = 0;
          while (b < bounds.length && value > (bounds[b] as number)) b++;
          (this.counts[b] as number)++;
          this.sum += value;
          this.count++;
        },
      };
      this.series.set(key, s);
    }
    return s;
  }

  reset(): void {
    this.series = new Map();
  }

  /** prom-client's Histogram.get() shape: cumulative `_bucket` values with `le`, then `_sum` and `_count`. */
  async get(): Promise<HistogramData> {
    return this.data(true);
  }

  /** What the Registry formats `/metrics` from: as prom-client's own histogram, `le` first, then the labels. */
  async getForPromString(): Promise<HistogramData> {
    return this.data(false);
  }

  private data(splay: boolean): HistogramData {
    const values: HistogramValue[] = [];
    const bucket = `${this.name}_bucket`;
    const push = (labels: Record<string, string>, le: number | string | null, value: number, metricName: string) => {
      if (splay) values.push({ labels: le === null ? { ...labels } : { ...labels, le }, value, metricName });
      else values.push({ labels: le === null ? {} : { le }, sharedLabels: labels, value, metricName });
    };
    for (const s of this.series.values()) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i] as number;
        push(s.labels, le, acc, bucket);
      });
      push(s.labels, '+Inf', s.count, bucket);
      push(s.labels, null, s.sum, `${this.name}_sum`);
      push(s.labels, null, s.count, `${this.name}_count`);
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
