#!/usr/bin/env node
/**
 * Fixed-rate A/B runs of bench targets, one gateway at a time, for questions the full bench is too coarse for (does
 * this setting change the p99 at a moderate rate?). Each variant gets a fresh fleet from the bench's own `startFleet`
 * (same pinning, niceness and node flags as `npm run bench`), a warm-up at the same rate, then one measured run of
 * `bench/lib/rate-child.mjs`; the variants are interleaved and the whole list repeated, so a slow spell of the
 * machine lands on all of them. Reads dist/ (run `npm run build` first).
 *
 *   node bench/ab.mjs [--rate N] [--seconds S] [--warmup S] [--repeat K] <variant>…
 *   variant: a target name from bench/lib/targets.mjs, optionally with gateway options after `=` (JSON, merged over
 *            the target's own; see bench/servers/gateway.mjs), e.g.
 *   node bench/ab.mjs --rate 3200 --repeat 3 gateway-slice \
 *     'gateway-shadow={"shadow":{"maxRunsPerSecond":0}}' gateway-shadow
 *   A `nodeFlags` key in the JSON replaces the gateway's V8 flags for that variant (a string, added to the shipped
 *   flags: 'gateway={"nodeFlags":"--single-threaded-gc"}'; or a list, used instead of them).
 *
 * Prints one line per run and, at the end, each variant's p99 over the repeats. Exit code 1 on errors (non-2xx or
 * socket errors in any run). BENCH_NICE, BENCH_PIN, BENCH_UPSTREAM_CPU and BENCH_GATEWAY_NODE_FLAGS apply as in the
 * bench, and the requests carry the bench's headers.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { parseBenchArgs } from './lib/cli.mjs';
import { HEADERS, parseVariant, startFleet, topology } from './lib/fleet.mjs';
import { runRate } from './lib/load.mjs';

const { values, positionals } = parseBenchArgs({ numbers: { rate: 3200, seconds: 10, warmup: 3, repeat: 3 } });
const { rate, seconds, warmup, repeat } = values;
if (positionals.length === 0) {
  process.stderr.write(
    'usage: node bench/ab.mjs [--rate N] [--seconds S] [--warmup S] [--repeat K] <target[=json]>…\n',
  );
  process.exit(2);
}
const variants = positionals.map(parseVariant);
const topo = topology(os.availableParallelism(), process.env);
const outDir = new URL('../.bench/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });

const p99s = new Map(variants.map((v) => [v.label, []]));
let failed = false;
for (let k = 1; k <= repeat; k++) {
  for (const v of variants) {
    const fleet = await startFleet({
      targets: [v.target],
      topo,
      outDir,
      gatewayOptions: {},
      ...(v.flags ? { nodeFlags: v.flags } : {}),
    });
    try {
      const url = fleet.servers.get(v.target.name).info.url + v.target.path.replace('{n}', '1');
      const load = { url, rate, connections: 50, cpu: topo.load, headers: HEADERS };
      await runRate({ ...load, seconds: warmup });
      const srv = fleet.servers.get(v.target.name);
      await srv.windowStart();
      const r = await runRate({ ...load, seconds });
      const w = await srv.windowEnd();
      p99s.get(v.label).push([r.p99, r.p999]);
      const errors = r.non2xx + r.socketErrors;
      if (errors) failed = true;
      process.stdout.write(
        `${k}/${repeat}  ${v.label.padEnd(40)}  ${Math.round(r.rps)} req/s  p50 ${r.p50.toFixed(2)}  p99 ${r.p99.toFixed(2)}` +
          `  p99.9 ${r.p999.toFixed(2)}  max ${r.max.toFixed(1)} ms  generator late p99 ${(r.sendLagP99 ?? 0).toFixed(1)} ms` +
          `  loop delay p99 ${w.eld?.p99.toFixed(1) ?? '–'} ms  full GCs ${w.gc.major} (${w.gc.majorMs.toFixed(0)} ms)` +
          `  scavenges ${w.gc.minor} (${w.gc.minorMs.toFixed(0)} ms)` +
          (errors ? `  ERRORS ${errors}` : '') +
          '\n',
      );
    } finally {
      await fleet.stopAll();
    }
  }
}
process.stdout.write(`\np99 / p99.9 ms at ${rate} req/s, ${repeat} run(s) of ${seconds} s each:\n`);
for (const [label, xs] of p99s)
  process.stdout.write(
    `  ${label.padEnd(40)}  ${xs.map(([a, b]) => `${a.toFixed(2)} / ${b.toFixed(1)}`).join('  ')}\n`,
  );
process.exit(failed ? 1 : 0);
