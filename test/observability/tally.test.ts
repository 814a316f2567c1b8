import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/observability/metrics.js';
import { CounterTally, TallyHistogram } from '../../src/observability/tally.js';

const BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['route', 'served_by'] as const;

/** The same observations into prom-client's own Histogram and into a TallyHistogram, each in its own registry. */
function both(observations: Array<[string, string, number]>) {
  const config = { name: 'h_seconds', help: 'x', labelNames: LABELS, buckets: BUCKETS };
  const promReg = new Registry();
  const prom = new Histogram({ ...config, registers: [promReg] });
  const tallyReg = new Registry();
  const tally = new TallyHistogram({ ...config, registers: [tallyReg] });
  for (const [a, b, v] of observations) {
    prom.labels(a, b).observe(v);
    tally.labels(a, b).observe(v);
  }
  return { promReg, tallyReg, prom, tally };
}

describe('TallyHistogram', () => {
  // Values on, between, below and above the bounds, in two label sets.
  const obs: Array<[string, string, number]> = [
    ['passthrough', 'legacy', 0],
    ['passthrough', 'legacy', 0.002],
    ['passthrough', 'legacy', 0.0021],
    ['passthrough', 'legacy', 0.7],
    ['passthrough', 'legacy', 10],
    ['passthrough', 'legacy', 42],
    ['tickets.get', 'new', 0.03],
    ['tickets.get', 'new', 0.03],
    ['tickets.get', 'new', 1e-6],
  ];

  it('exposes exactly what prom-client’s Histogram exposes for the same observations', async () => {
    const { promReg, tallyReg } = both(obs);
    const text = await tallyReg.metrics();
    expect(text).toBe(await promReg.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.002",route="passthrough",served_by="legacy"} 2');
    expect(text).toContain('h_seconds_bucket{le="+Inf",route="passthrough",served_by="legacy"} 6');
    expect(text).toContain('h_seconds_count{route="tickets.get",served_by="new"} 3');
  });

  it('gives the same JSON as prom-client (get(), getMetricsAsJSON)', async () => {
    const { promReg, tallyReg, prom, tally } = both(obs);
    // prom-client adds an `exemplar: null` to each bucket (exemplars are off): the rest must be equal.
    const plain = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'exemplar' ? undefined : v)));
    expect(plain(await tally.get())).toEqual(plain(await prom.get()));
    expect(plain(await tallyReg.getMetricsAsJSON())).toEqual(plain(await promReg.getMetricsAsJSON()));
  });

  it('returns the same child for the same label values, resets with the registry, and ignores non-finite values', async () => {
    const { tallyReg, tally } = both([]);
    const child = tally.labels('a', 'b');
    expect(tally.labels('a', 'b')).toBe(child);
    child.observe(Number.NaN);
    child.observe(Number.POSITIVE_INFINITY);
    child.observe(0.02);
    expect(await tallyReg.metrics()).toContain('h_seconds_sum{route="a",served_by="b"} 0.02');
    expect(await tallyReg.metrics()).toContain('h_seconds_count{route="a",served_by="b"} 1');
    tallyReg.resetMetrics();
    expect(await tallyReg.metrics()).not.toContain('route="a"');
    expect(() => tally.labels('only-one')).toThrow(/expected 2 label values/);
  });

  it('refuses a second metric of the same name in a registry, as prom-client does', () => {
    const { tallyReg } = both([]);
    expect(() => new Counter({ name: 'h_seconds', help: 'x', registers: [tallyReg] })).toThrow(
      /already been registered/,
    );
  });
});

describe('CounterTally', () => {
  it('adds the local counts to the counter when it is read, once, next to its ordinary children', async () => {
    const reg = new Registry();
    const tally = new CounterTally();
    const counter = new Counter({
      name: 'c_total',
      help: 'x',
      labelNames: ['slice', 'outcome'],
      registers: [reg],
      collect() {
        tally.fold(this);
      },
    });
    const ok = tally.child('s1', 'ok');
    expect(tally.child('s1', 'ok')).toBe(ok); // one child per label set, however often it is asked for
    const err = tally.child('s1', 'error');
    for (let i = 0; i < 5; i++) ok.inc();
    err.inc(2);
    counter.labels('s1', 'ok').inc(10); // an ordinary child of the same series
    expect(await reg.metrics()).toContain('c_total{slice="s1",outcome="ok"} 15');
    expect(await reg.metrics()).toContain('c_total{slice="s1",outcome="error"} 2');
    // Read again without new counts: folded once, not twice.
    expect(await reg.metrics()).toContain('c_total{slice="s1",outcome="ok"} 15');
    ok.inc();
    const json = await counter.get();
    expect(json.values.find((v) => v.labels.outcome === 'ok')?.value).toBe(16);
  });

  it('is what the gateway’s request counter and duration histogram read from', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.requests.tally('passthrough', 'passthrough', 'legacy', 'ok').inc();
    m.duration.labels('passthrough', 'legacy').observe(0.003);
    const rate = m.shadowSkipped.tally('tickets.get', 'rate');
    rate.inc();
    rate.inc();
    m.shadowSkipped.labels('tickets.get', 'rate').inc(); // labels() on a tallied counter still counts
    expect((await m.shadowSkipped.get()).values).toEqual([
      expect.objectContaining({ labels: { slice: 'tickets.get', reason: 'rate' }, value: 3 }),
    ]);
    const text = await m.registry.metrics();
    expect(text).toContain(
      'gateway_requests_total{route="passthrough",slice="passthrough",served_by="legacy",outcome="ok"} 1',
    );
    expect(text).toContain(
      'gateway_request_duration_seconds_bucket{le="0.005",route="passthrough",served_by="legacy"} 1',
    );
    expect(text).toContain('# TYPE gateway_request_duration_seconds histogram');
    rate.inc(); // counted, not yet read: a reset drops it, and the histogram's series
    m.registry.resetMetrics();
    expect((await m.shadowSkipped.get()).values).toEqual([]);
    rate.inc();
    expect((await m.shadowSkipped.get()).values).toEqual([expect.objectContaining({ value: 1 })]);
    expect(await m.registry.metrics()).not.toContain('gateway_request_duration_seconds_bucket');
  });
});
