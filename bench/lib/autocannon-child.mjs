/**
 * Fallback load generator (when wrk cannot be installed): autocannon in its own process, so it can be pinned like
 * wrk. Usage: node autocannon-child.mjs '<json: { url, connections, seconds, headers }>'; prints one BENCH_JSON line
 * in wrk-report.lua's shape.
 */
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2] ?? '{}');
const r = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.seconds,
  headers: opts.headers,
  timeout: 10,
});
const us = (ms) => Math.round((ms ?? Number.NaN) * 1000);
const out = {
  requests: r.requests.total,
  durationUs: Math.round(r.duration * 1e6),
  bytes: r.throughput.total,
  connect: 0,
  read: r.errors - r.timeouts,
  write: 0,
  status: r.non2xx,
  timeout: r.timeouts,
  p50Us: us(r.latency.p50),
  p90Us: us(r.latency.p90),
  p99Us: us(r.latency.p99),
  p999Us: us(r.latency.p99_9),
  maxUs: us(r.latency.max),
  meanUs: us(r.latency.mean),
};
process.stdout.write(`BENCH_JSON ${JSON.stringify(out)}\n`);
