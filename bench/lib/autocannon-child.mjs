/**
 * Fallback load generator (when wrk cannot be installed): autocannon in its own process, so it can be pinned like
 * wrk. Usage: node autocannon-child.mjs '<json: { url, connections, seconds, headers, method?, body?, paths?, pathTemplate?,
 * rate? }>';
 * prints one BENCH_JSON line in wrk-report.lua's shape.
 * `rate` sets autocannon's overallRate (BENCH_RATE_TOOL=autocannon): note that autocannon gives each connection a
 * quota per second and resets it every second, so the load comes in bursts at full speed (bench/lib/rate-child.mjs
 * is the default for fixed-rate runs).
 */
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2] ?? '{}');
let turn = 0;
const r = await autocannon({
  url: opts.url,
  connections: Math.min(opts.connections, opts.rate ?? Number.POSITIVE_INFINITY),
  duration: opts.seconds,
  headers: {
    ...opts.headers,
    ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
  },
  ...(opts.method ? { method: opts.method } : {}),
  ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
  ...(opts.pathTemplate
    ? { requests: [{ setupRequest: (req) => ({ ...req, path: opts.pathTemplate.replace('{n}', String(++turn)) }) }] }
    : {}),
  ...(opts.paths?.length && !opts.pathTemplate
    ? {
        requests: [
          {
            setupRequest: (req) => {
              turn = (turn + 1) % opts.paths.length;
              return { ...req, path: opts.paths[turn] };
            },
          },
        ],
      }
    : {}),
  ...(opts.rate ? { overallRate: opts.rate } : {}),
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
