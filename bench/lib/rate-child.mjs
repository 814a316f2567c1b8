/**
 * Fixed-rate (open-loop) load: request i is due at start + i / rate, whatever happened to the ones before it, and its
 * latency is measured from that due time (as wrk2 does), so a server that stalls is charged for the requests that
 * queued behind the stall (no coordinated omission). Keep-alive node:http Agent with at most `connections` sockets;
 * requests due while every socket is busy wait in the agent's queue, and that wait counts.
 * Why not autocannon's `overallRate`: it gives each connection a quota per second, reset by a 1 s interval, so each
 * second starts with a burst at full speed and then idles; the "fixed rate" becomes saturation with a duty cycle
 * (BENCH_RATE_TOOL=autocannon runs that for comparison).
 * Lead-in: the first `leadInSeconds` (default 1) of requests go out at the same rate but are not recorded. A fresh
 * generator opens its sockets during its first requests, and the server accepts them and grows its buffers while
 * the measured requests queue behind that: one such start-up episode held about 400 requests of a 50,000-request
 * run above the p99 (measured 2026-11-27), so the "p99" measured the connection set-up, not the steady state.
 * Usage: node rate-child.mjs '<json: { url, rate, seconds, connections, headers, paths?, leadInSeconds? }>'; prints one
 * BENCH_JSON line in wrk-report.lua's shape (measured requests only), plus `rate` (achieved) and `sendLagP99Us` (how
 * late this process sent, its own health) and `leadIn` (requests sent before the measured ones).
 * `dump`: a file to write every measured request to, as JSON { due: [epoch ms], latency: [ms] } (-1: no answer), for
 * lining client latency up with the server's own timeline (bench/timeline.mjs).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { gridOf, nearestRank } from './quantiles.mjs';

const o = JSON.parse(process.argv[2] ?? '{}');
const u = new URL(o.url);
const paths = o.paths?.length ? o.paths : [u.pathname + u.search];
const leadIn = Math.floor(o.rate * (o.leadInSeconds ?? 1));
const measured = Math.max(1, Math.floor(o.rate * o.seconds));
const total = leadIn + measured;
const interval = 1000 / o.rate;
const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections });
const latencies = new Float64Array(measured);
const lags = new Float64Array(measured);
let completed = 0;
let sent = 0;
let settled = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
let bytes = 0;
let lastEnd = 0;
let leadInNon2xx = 0;
/** Latency by request index (dump only; -1 until answered). */
const byIndex = o.dump ? new Float64Array(measured).fill(-1) : null;
const start = performance.now() + 20;
/** When the first measured request was due: the achieved rate counts from there. */
const measuredStart = start + leadIn * interval;

function fire(i) {
  const due = start + i * interval;
  const recorded = i >= leadIn;
  if (recorded) lags[i - leadIn] = performance.now() - due;
  let over = false;
  const end = (kind) => {
    if (over) return;
    over = true;
    if (kind === 'timeout') timeouts++;
    else if (kind === 'error') errors++;
    settle();
  };
  const req = http.request(
    { agent, host: u.hostname, port: u.port, path: paths[i % paths.length], method: 'GET', headers: o.headers },
    (res) => {
      res.on('data', (c) => {
        if (recorded) bytes += c.length;
      });
      res.once('end', () => {
        if (over) return;
        if (recorded) {
          const now = performance.now();
          if (byIndex) byIndex[i - leadIn] = now - due;
          latencies[completed++] = now - due;
          lastEnd = now;
          if (res.statusCode < 200 || res.statusCode >= 300) non2xx++;
        } else if (res.statusCode < 200 || res.statusCode >= 300) leadInNon2xx++;
        end('ok');
      });
      res.once('error', () => end('error'));
    },
  );
  req.setTimeout(10_000, () => {
    end('timeout');
    req.destroy();
  });
  req.once('error', () => end('error'));
  req.end();
}

let finished = false;
function settle() {
  settled++;
  if (sent === total && settled >= total) report();
}

function tick() {
  const now = performance.now();
  while (sent < total && start + sent * interval <= now) fire(sent++);
  if (sent < total) setTimeout(tick, 1);
  else setTimeout(report, 15_000).unref(); // stragglers: whatever has not answered by then is reported as missing
}

function report() {
  if (finished) return;
  finished = true;
  const lat = latencies.subarray(0, completed).sort();
  const sentMeasured = Math.max(0, sent - leadIn);
  const lag = lags.subarray(0, sentMeasured).sort();
  const us = (ms) => Math.round(ms * 1000);
  const seconds = (lastEnd - measuredStart) / 1000;
  const out = {
    requests: completed,
    durationUs: Math.round(seconds * 1e6),
    bytes,
    connect: 0,
    read: errors,
    write: 0,
    // A lead-in request that failed is still a failure of the server: counted, never hidden by the lead-in.
    status: non2xx + leadInNon2xx,
    timeout: timeouts + Math.max(0, total - settled),
    p50Us: us(nearestRank(lat, completed, 50)),
    p90Us: us(nearestRank(lat, completed, 90)),
    p99Us: us(nearestRank(lat, completed, 99)),
    p999Us: us(nearestRank(lat, completed, 99.9)),
    maxUs: us(lat[completed - 1] ?? Number.NaN),
    meanUs: us(lat.reduce((s, x) => s + x, 0) / Math.max(1, completed)),
    rate: completed / seconds,
    targetRate: o.rate,
    sendLagP99Us: us(nearestRank(lag, sentMeasured, 99)),
    sendLagMaxUs: us(nearestRank(lag, sentMeasured, 100)),
    leadIn,
    // The quantile function for pooling rounds (bench/lib/quantiles.mjs), in µs as the other fields.
    q: gridOf(lat, completed).map(([p, v]) => [p, us(v)]),
  };
  if (o.dump) writeDump(o.dump);
  process.stdout.write(`BENCH_JSON ${JSON.stringify(out)}\n`);
  agent.destroy();
  process.exit(0);
}

function writeDump(file) {
  const round = (x) => Math.round(x * 1000) / 1000;
  const due = Array.from({ length: measured }, (_, k) =>
    round(performance.timeOrigin + start + (leadIn + k) * interval),
  );
  writeFileSync(file, JSON.stringify({ due, latency: Array.from(byIndex, round) }));
}

setTimeout(tick, 20);
