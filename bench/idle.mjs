#!/usr/bin/env node
/**
 * What idle servers cost the CPU they share: starts a fleet of bench targets (as `npm run bench` does, every server
 * on the server CPU), drives each at a moderate rate for `--warmup` seconds, lets them all idle for `--seconds`, and
 * prints each process's CPU (ms per second) and wake-ups (timeslices per second) over the idle spell, by thread, from
 * /proc schedstat. The full bench used to run every server beside the one it measured (decision 25). Reads dist/ (run
 * `npm run build` first); BENCH_NICE and BENCH_PIN apply as in the bench.
 *
 *   node bench/idle.mjs [--seconds 20] [--warmup 3] [--rate 1000] [target…]   (default: every target)
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseBenchArgs } from './lib/cli.mjs';
import { threadStats } from './lib/cpu.mjs';
import { HEADERS, startFleet, topology } from './lib/fleet.mjs';
import { runRate } from './lib/load.mjs';
import { firstPath, TARGETS } from './lib/targets.mjs';

const { values, positionals } = parseBenchArgs({ numbers: { seconds: 20, warmup: 3, rate: 1000 } });
const unknown = positionals.filter((n) => !TARGETS.some((t) => t.name === n));
if (unknown.length)
  throw new Error(`unknown target(s) ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.name).join(', ')})`);
const targets = positionals.length ? TARGETS.filter((t) => positionals.includes(t.name)) : TARGETS;
const topo = topology(os.availableParallelism(), process.env);
const outDir = new URL('../.bench/', import.meta.url).pathname;
const fleet = await startFleet({ targets, topo, outDir, gatewayOptions: {} });
try {
  for (const t of targets) {
    const url = fleet.servers.get(t.name).url + firstPath(t);
    await runRate({
      url,
      rate: values.rate,
      seconds: values.warmup,
      connections: 50,
      cpu: topo.load,
      headers: HEADERS,
    });
  }
  await sleep(3000);
  const procs = [...new Set([...fleet.servers.values(), ...fleet.upstreams.values()])];
  const before = new Map(procs.map((p) => [p.pid, threadStats(p.pid)]));
  await sleep(values.seconds * 1000);
  const perSecond = (x) => x / values.seconds;
  console.log(
    `idle for ${values.seconds} s after ${values.warmup} s at ${values.rate} req/s each: ms of CPU per s, wake-ups per s`,
  );
  for (const p of procs) {
    const b = before.get(p.pid);
    let run = 0;
    let slices = 0;
    const threads = [];
    for (const [tid, t] of threadStats(p.pid)) {
      const dRun = t.run - (b.get(tid)?.run ?? 0);
      const dSlices = t.slices - (b.get(tid)?.slices ?? 0);
      run += dRun;
      slices += dSlices;
      if (dRun > 1e5 * values.seconds) {
        const who = tid === String(p.pid) ? 'main' : `${t.comm}/${tid}`;
        threads.push(`${who} ${perSecond(dRun / 1e6).toFixed(2)} ms, ${Math.round(perSecond(dSlices))}`);
      }
    }
    console.log(
      `  ${p.name.padEnd(28)} ${perSecond(run / 1e6)
        .toFixed(2)
        .padStart(6)} ms/s ${String(Math.round(perSecond(slices))).padStart(5)} wake-ups/s` +
        (threads.length ? `   (${threads.join('; ')})` : ''),
    );
  }
} finally {
  await fleet.stopAll();
}
