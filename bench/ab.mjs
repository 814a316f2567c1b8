#!/usr/bin/env node
/**
 * Fixed-rate A/B runs of bench targets, for questions the full bench is too coarse for (does this setting change the
 * p99 at a moderate rate?). By default each variant gets a fresh fleet from the bench's own `startFleet` (same
 * pinning, niceness and node flags as `npm run bench`), a warm-up at the same rate, then one measured run of
 * `bench/lib/rate-child.mjs`; the variants are interleaved and the whole list repeated, so a slow spell of the
 * machine lands on all of them. With `--one-fleet`, every variant's gateway runs for the whole session in one fleet
 * (as in the full bench: the others frozen while one is measured, unless BENCH_FREEZE=0), each round starting with a
 * different variant.
 * Reads dist/ (run `npm run build` first).
 *
 *   node bench/ab.mjs [--rate N] [--seconds S] [--warmup S] [--repeat K] [--one-fleet] <variant>…
 *   variant: a target name from bench/lib/targets.mjs, optionally with gateway options after `=` (JSON, merged over
 *            the target's own; see bench/servers/gateway.mjs), e.g.
 *   node bench/ab.mjs --rate 3200 --repeat 3 gateway-slice \
 *     'gateway-shadow={"shadow":{"maxRunsPerSecond":0}}' gateway-shadow
 *   A `nodeFlags` key in the JSON replaces the gateway's V8 flags for that variant (a string, added to the shipped
 *   flags: 'gateway={"nodeFlags":"--single-threaded-gc"}'; or a list, used instead of them; not with --one-fleet).
 *
 * Prints one line per run, with the server's CPU per request on its main thread and on its other threads (the
 * comparison worker, V8's and libuv's helpers; /proc schedstat), and at the end each variant's p99 over the repeats
 * and the medians of p99 and CPU. Exit code 1 on errors (non-2xx or socket errors in any run). BENCH_NICE, BENCH_PIN,
 * BENCH_UPSTREAM_CPU and BENCH_GATEWAY_NODE_FLAGS apply as in the bench, and the requests carry the bench's headers.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseBenchArgs } from './lib/cli.mjs';
import { cpuPerRequestSince, threadStats } from './lib/cpu.mjs';
import { FREEZE_IDLE, HEADERS, parseVariant, startFleet, topology } from './lib/fleet.mjs';
import { runRate } from './lib/load.mjs';
import { nearestRank } from './lib/quantiles.mjs';
import { firstPath } from './lib/targets.mjs';

const { values, positionals } = parseBenchArgs({
  numbers: { rate: 3200, seconds: 10, warmup: 3, repeat: 3 },
  booleans: ['one-fleet'],
});
const { rate, seconds, warmup, repeat } = values;
const oneFleet = values['one-fleet'];
if (positionals.length === 0) {
  process.stderr.write(
    'usage: node bench/ab.mjs [--rate N] [--seconds S] [--warmup S] [--repeat K] [--one-fleet] <target[=json]>…\n',
  );
  process.exit(2);
}
// In one fleet the servers are keyed by target name: each variant's target gets its own (`v1-gateway-shadow`).
const variants = positionals
  .map(parseVariant)
  .map((v, i) => (oneFleet ? { ...v, target: { ...v.target, name: `v${i + 1}-${v.target.name}` } } : v));
if (oneFleet && variants.some((v) => v.flags)) throw new Error('--one-fleet: nodeFlags cannot differ between variants');
const topo = topology(os.availableParallelism(), process.env);
const outDir = new URL('../.bench/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });

const fleetOf = (targets, flags) =>
  startFleet({ targets, topo, outDir, gatewayOptions: {}, ...(flags ? { nodeFlags: flags } : {}) });

const runs = new Map(variants.map((v) => [v.label, []]));
let failed = false;

async function measure(fleet, v, k) {
  const srv = fleet.servers.get(v.target.name);
  const url = srv.info.url + firstPath(v.target);
  const load = { url, rate, connections: 50, cpu: topo.load, headers: HEADERS };
  await runRate({ ...load, seconds: warmup });
  await srv.windowStart();
  const before = threadStats(srv.pid);
  const r = await runRate({ ...load, seconds });
  const cpu = cpuPerRequestSince(srv.pid, before, r.requests);
  const w = await srv.windowEnd();
  runs.get(v.label).push({ p99: r.p99, p999: r.p999, ...cpu });
  const errors = r.non2xx + r.socketErrors;
  if (errors) failed = true;
  process.stdout.write(
    `${k}/${repeat}  ${v.label.padEnd(40)}  ${Math.round(r.rps)} req/s  p50 ${r.p50.toFixed(2)}  p99 ${r.p99.toFixed(2)}` +
      `  p99.9 ${r.p999.toFixed(2)}  max ${r.max.toFixed(1)} ms  CPU µs/req main ${cpu.main.toFixed(0)} + other ${cpu.other.toFixed(0)}` +
      `  generator late p99 ${(r.sendLagP99 ?? 0).toFixed(1)} ms` +
      `  loop delay p99 ${w.eld?.p99.toFixed(1) ?? '–'} ms  full GCs ${w.gc.major} (${w.gc.majorMs.toFixed(0)} ms)` +
      `  scavenges ${w.gc.minor} (${w.gc.minorMs.toFixed(0)} ms)` +
      (errors ? `  ERRORS ${errors}` : '') +
      '\n',
  );
}

if (oneFleet) {
  const fleet = await fleetOf(variants.map((v) => v.target));
  try {
    for (let k = 1; k <= repeat; k++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + k - 1) % variants.length];
        if (FREEZE_IDLE) fleet.only(v.target.name);
        await measure(fleet, v, k);
      }
    }
  } finally {
    await fleet.stopAll();
  }
} else {
  for (let k = 1; k <= repeat; k++) {
    for (const v of variants) {
      const fleet = await fleetOf([v.target], v.flags);
      try {
        await measure(fleet, v, k);
      } finally {
        await fleet.stopAll();
      }
    }
  }
}

const median = (xs) =>
  nearestRank(
    [...xs].sort((a, b) => a - b),
    xs.length,
    50,
  );
process.stdout.write(`\np99 / p99.9 ms at ${rate} req/s, ${repeat} run(s) of ${seconds} s each:\n`);
for (const [label, xs] of runs)
  process.stdout.write(
    `  ${label.padEnd(40)}  ${xs.map((x) => `${x.p99.toFixed(2)} / ${x.p999.toFixed(1)}`).join('  ')}\n`,
  );
process.stdout.write('\nmedians: p99 ms, CPU µs/req main + other threads\n');
for (const [label, xs] of runs)
  process.stdout.write(
    `  ${label.padEnd(40)}  ${median(xs.map((x) => x.p99)).toFixed(2)}  ` +
      `${median(xs.map((x) => x.main)).toFixed(0)} + ${median(xs.map((x) => x.other)).toFixed(0)}\n`,
  );
process.exit(failed ? 1 : 0);
