#!/usr/bin/env node
/**
 * Aged-gateway runs: what a gateway's latency at a moderate rate looks like after a load spike and a quiet spell, the
 * state the full bench's fixed-rate rounds meet (saturation rounds first; each gateway idle while the others run).
 * For each variant (a set of the gateway's V8 flags; '' = the shipped ones): a fresh fleet with one gateway target,
 * a 5 s lead-in at the rate, a saturation run with wrk, then `--windows` times: idle, a 3 s warm-up at the rate and a
 * measured window at the rate. Prints each window's p99, its full (mark-compact) and young-generation collections with
 * their summed pauses, the heap and RSS at the window's end, the gateway's and the upstream's largest event-loop delay
 * and how late the generator sent (a slow window whose loops never stalled was not slowed by their JavaScript). Reads dist/ (run `npm run build` first); BENCH_NICE
 * and BENCH_PIN apply as in the bench. Decision 13 in docs/decisions.md was measured with it.
 *
 *   node bench/aged.mjs [--target gateway] [--rate 1000] [--saturate 30] [--idle 20] [--windows 3] [--seconds 10] -- \
 *     '' '--no-allocation-site-pretenuring'
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBenchArgs } from './lib/cli.mjs';
import { cpuPerRequestSince, threadStats } from './lib/cpu.mjs';
import { GATEWAY_NODE_FLAGS, HEADERS, startFleet, topology } from './lib/fleet.mjs';
import { chooseTool, runLoad, runRate } from './lib/load.mjs';
import { firstPath, TARGETS } from './lib/targets.mjs';

const { values, positionals } = parseBenchArgs({
  numbers: { rate: 1000, saturate: 30, idle: 20, windows: 3, seconds: 10 },
  strings: { target: 'gateway' },
});
const target = TARGETS.find((t) => t.name === values.target);
if (target?.server !== 'gateway') {
  const names = TARGETS.filter((t) => t.server === 'gateway').map((t) => t.name);
  throw new Error(`--target must be a gateway target (${names.join(', ')}), got "${values.target}"`);
}
const variants = (positionals.length ? positionals : ['']).map((v) =>
  v.trim() === '' ? [...GATEWAY_NODE_FLAGS] : v.split(' ').filter(Boolean),
);
const topo = topology(os.availableParallelism(), process.env);
const outDir = new URL('../.bench/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const tool = chooseTool(process.env.BENCH_TOOL);
const ms = (x) => x.toFixed(1);

const summary = [];
for (const nodeFlags of variants) {
  const label = nodeFlags.join(' ') || '(no flags)';
  process.stdout.write(`\n${label}\n`);
  const fleet = await startFleet({ targets: [target], topo, outDir, gatewayOptions: {}, nodeFlags });
  try {
    const srv = fleet.servers.get(target.name);
    const up = fleet.upstreams.get(target.name);
    const url = srv.url + firstPath(target);
    const load = { url, rate: values.rate, connections: 50, cpu: topo.load, headers: HEADERS };
    await runRate({ ...load, seconds: 5 });
    const sat = await runLoad({ ...load, tool, seconds: values.saturate });
    process.stdout.write(`  saturated ${Math.round(sat.rps)} req/s for ${values.saturate} s\n`);
    const p99s = [];
    for (let w = 1; w <= values.windows; w++) {
      await sleep(values.idle * 1000);
      await runRate({ ...load, seconds: 3 });
      await Promise.all([srv.windowStart(), up.windowStart()]);
      const before = threadStats(srv.pid);
      const r = await runRate({ ...load, seconds: values.seconds });
      const cpu = cpuPerRequestSince(srv.pid, before, r.requests);
      const [{ gc, heapUsed, rss, eld }, upstream] = await Promise.all([srv.windowEnd(), up.windowEnd()]);
      if (srv.crashed) throw new Error(`${srv.name} ${srv.crashed}`);
      p99s.push(r.p99);
      process.stdout.write(
        `  window ${w}: p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms; full GCs ${gc.major} (${ms(gc.majorMs)} ms), ` +
          `scavenges ${gc.minor} (${ms(gc.minorMs)} ms); CPU µs/req main ${cpu.main.toFixed(0)} + other threads ${cpu.other.toFixed(0)}; heap ${ms(heapUsed / 1e6)} MB, RSS ${Math.round(rss / 1e6)} MB; ` +
          // A slow window whose gateway loop never stalled, or whose generator sent late, was not slowed by the gateway.
          `gateway loop delay max ${eld ? ms(eld.max) : '–'} ms; generator late p99 ${ms(r.sendLagP99 ?? Number.NaN)} / ` +
          `max ${ms(r.sendLagMax ?? Number.NaN)} ms; upstream loop delay max ${upstream?.eld ? ms(upstream.eld.max) : '–'} ms, ` +
          `full GCs ${upstream?.gc.major ?? '–'}` +
          (r.non2xx + r.socketErrors ? `; ERRORS ${r.non2xx + r.socketErrors}` : '') +
          '\n',
      );
    }
    summary.push(`  ${label}: ${p99s.map(ms).join(' / ')}`);
  } finally {
    await fleet.stopAll();
  }
}
process.stdout.write(
  `\nwindow p99 ms at ${values.rate} req/s after saturation and ${values.idle} s idle:\n${summary.join('\n')}\n`,
);
