#!/usr/bin/env node
/**
 * Where the slow requests of a fixed-rate run come from: each variant's gateway keeps a timeline (its tickets.get
 * new-handler calls on the main thread (candidates the comparison worker runs are not seen there: `calls 0` with
 * `shadow.workerCandidates` on), its collections and the event-loop gaps a 2 ms timer sees; bench/servers/gateway.mjs
 * `timeline`) while bench/lib/rate-child.mjs records every request's due time and latency. Afterwards the requests
 * above the run's p99 are lined up against the timeline: how many were in flight during a loop gap, a collection or a
 * new-handler call, against the same share for all requests (what chance alone gives). Same fleet, pinning and
 * interleaving as bench/ab.mjs. Reads dist/ (run `npm run build` first).
 *
 *   node bench/timeline.mjs [--rate N] [--seconds S] [--warmup S] [--repeat K] [--saturate S] [--profile] <target[=json]>…
 *
 * --saturate S: the gateway is first driven at full speed (wrk, as the bench's saturation rounds) for S seconds, so
 * the measured run meets the state the full bench's fixed-rate rounds do (after its saturation rounds).
 *
 * --profile: the gateway also runs under --cpu-prof (a sample every 500 µs), and the samples taken during loop gaps
 * are summed by function, against all samples of the run: what the main thread was doing while clients waited.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs } from './lib/cli.mjs';
import { threadStats } from './lib/cpu.mjs';
import { HEADERS, startFleet, topology } from './lib/fleet.mjs';
import { chooseTool, runLoad, runRate } from './lib/load.mjs';
import { TARGETS } from './lib/targets.mjs';

const { values, positionals } = parseBenchArgs({
  numbers: { rate: 1000, seconds: 20, warmup: 3, repeat: 1, saturate: 0 },
  booleans: ['profile'],
});
const { rate, seconds, warmup, repeat, saturate, profile } = values;
if (positionals.length === 0) {
  process.stderr.write(
    'usage: node bench/timeline.mjs [--rate N] [--seconds S] [--repeat K] [--saturate S] <target[=json]>…\n',
  );
  process.exit(2);
}
const topo = topology(os.availableParallelism(), process.env);
const outDir = new URL('../.bench/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });

/** Sorted [start, end] intervals → a test "does [a, b] overlap any of them" (binary search on the starts). */
function overlaps(intervals) {
  const maxLen = intervals.reduce((m, [s, e]) => Math.max(m, e - s), 0);
  const starts = intervals.map((i) => i[0]);
  return (a, b) => {
    // First interval that could still reach a: start ≥ a − maxLen.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < a - maxLen) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < starts.length && starts[k] <= b; k++) if (intervals[k][1] >= a) return true;
    return false;
  };
}

function analyse(dump, tl) {
  const n = dump.due.length;
  const answered = [];
  for (let k = 0; k < n; k++) if (dump.latency[k] >= 0) answered.push(k);
  const sorted = answered.map((k) => dump.latency[k]).sort((a, b) => a - b);
  const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1];
  const slow = answered.filter((k) => dump.latency[k] > p99);
  const byStart = (a, b) => a[0] - b[0];
  const tests = {
    'loop gap >3 ms': overlaps(tl.gaps.map(([at, ms]) => [at, at + ms]).sort(byStart)),
    'loop gap >10 ms': overlaps(
      tl.gaps
        .filter(([, ms]) => ms > 10)
        .map(([at, ms]) => [at, at + ms])
        .sort(byStart),
    ),
    'full GC': overlaps(
      tl.gcs
        .filter((g) => g[2] === 'major')
        .map(([at, ms]) => [at, at + ms])
        .sort(byStart),
    ),
    scavenge: overlaps(
      tl.gcs
        .filter((g) => g[2] === 'minor')
        .map(([at, ms]) => [at, at + ms])
        .sort(byStart),
    ),
    // A new-handler call ending (its continuation runs on the loop) while the request was in flight.
    'candidate end': overlaps(tl.calls.map(([, end]) => [end, end]).sort(byStart)),
    'candidate start': overlaps(tl.calls.map(([start]) => [start, start]).sort(byStart)),
  };
  const share = (ks, test) => ks.filter((k) => test(dump.due[k], dump.due[k] + dump.latency[k])).length / ks.length;
  const rows = Object.entries(tests).map(([name, test]) => ({
    name,
    slow: share(slow, test),
    all: share(answered, test),
  }));
  const gaps = tl.gaps.map((g) => g[1]).sort((a, b) => a - b);
  // Gaps that began within 3 ms after a new-handler call ended (its continuation, the comparison hand-off, …).
  const ends = overlaps(tl.calls.map(([, end]) => [end, end]).sort(byStart));
  const afterCall = tl.gaps.filter(([at, ms]) => ends(at - 3, at + ms)).length;
  return {
    p50: sorted[Math.ceil(0.5 * sorted.length) - 1],
    p99,
    slow: slow.length,
    missing: n - answered.length,
    calls: tl.calls.length,
    gaps: { n: gaps.length, afterCall, over10: gaps.filter((g) => g > 10).length, max: gaps.at(-1) ?? 0 },
    gcs: { major: tl.gcs.filter((g) => g[2] === 'major').length, minor: tl.gcs.filter((g) => g[2] === 'minor').length },
    rows,
    // When the slow requests were due, in seconds from the start: bunched (stalls) or spread (steady interference)?
    slowSeconds: [...new Set(slow.map((k) => Math.floor((dump.due[k] - dump.due[0]) / 1000)))].length,
  };
}

/**
 * Samples of a --cpu-prof profile inside the given epoch-ms intervals, summed by function (self) and by the first
 * frame of the gateway's own code on the stack (src/, routes/, mappers/, legacy-adapters/, contracts/), against all
 * samples. clock: [monotonic µs, epoch ms] at one moment (the profile counts monotonic µs).
 */
function attribute(prof, clock, intervals, from, to) {
  const toEpoch = (us) => clock[1] + (us - clock[0]) / 1000;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => {
    const f = n.callFrame;
    const file = f.url
      .replace(/^.*\/(node_modules\/)/, '$1')
      .replace(/^.*\/dist\//, '')
      .replace(/^file:\/\//, '');
    return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
  };
  const ours = /\/dist\/(src|routes|mappers|legacy-adapters|contracts)\//;
  const owner = (id) => {
    for (let k = id; k !== undefined; k = parent.get(k)) {
      const n = byId.get(k);
      if (ours.test(n.callFrame.url)) return label(n);
    }
    return '(no gateway frame)';
  };
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const inGap = overlaps(sorted);
  const tally = { gapSelf: new Map(), gapOwner: new Map(), allSelf: new Map(), allOwner: new Map(), gap: 0, all: 0 };
  const add = (m, k) => m.set(k, (m.get(k) ?? 0) + 1);
  let t = prof.startTime;
  for (let k = 0; k < prof.samples.length; k++) {
    t += prof.timeDeltas[k];
    const at = toEpoch(t);
    if (at < from || at > to) continue;
    const node = byId.get(prof.samples[k]);
    const self = label(node);
    tally.all++;
    add(tally.allSelf, self);
    if (self !== '(idle) :0') add(tally.allOwner, owner(node.id));
    if (inGap(at, at)) {
      tally.gap++;
      add(tally.gapSelf, self);
      add(tally.gapOwner, owner(node.id));
    }
  }
  return tally;
}

function printTop(title, m, total, allM, allTotal, n = 12) {
  console.log(`    ${title} (${total} samples)`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    const all = allM ? `   all ${((100 * (allM.get(k) ?? 0)) / allTotal).toFixed(1).padStart(5)} %` : '';
    console.log(`      ${((100 * v) / total).toFixed(1).padStart(5)} %${all}  ${k}`);
  }
}

/**
 * Per-thread scheduler counters of processes (Linux /proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns waiting on a
 * run queue, timeslices), by "<process> <thread name>/<tid>".
 */
function schedstat(procs) {
  const out = new Map();
  for (const [who, pid] of procs) {
    for (const [tid, t] of threadStats(pid)) {
      out.set(`${who} ${t.comm}/${tid === String(pid) ? 'main' : tid}`, t);
    }
  }
  return out;
}

/**
 * Steal time per CPU (the hypervisor running something else on this VM's vCPU; /proc/stat, in 10 ms ticks), sampled
 * every 20 ms while a run lasts: stop() returns [epoch ms, steal ticks of cpu0, cpu1, …] per sample.
 */
function stealSampler() {
  const read = () =>
    readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d/.test(l))
      .map((l) => Number(l.split(/\s+/)[8]));
  const samples = [];
  const timer = setInterval(() => samples.push([Date.now(), ...read()]), 20);
  return {
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}

/** Steal ticks per CPU over the run, and the 100 ms spans with any steal (when, which CPU, how many ticks). */
function stealSummary(samples, t0) {
  if (samples.length < 2) return 'no samples';
  const first = samples[0];
  const last = samples.at(-1);
  const total = first.slice(1).map((v, k) => last[k + 1] - v);
  const spans = [];
  for (let k = 5; k < samples.length; k += 5) {
    const d = samples[k].slice(1).map((v, c) => v - samples[k - 5][c + 1]);
    if (d.some((x) => x > 0)) spans.push(`${((samples[k - 5][0] - t0) / 1000).toFixed(1)}s:${d.join('/')}`);
  }
  return `steal ticks (10 ms) per CPU ${total.join(' / ')}${spans.length ? `; in ${spans.slice(0, 12).join(' ')}` : ''}`;
}

function printSched(before, after, seconds) {
  const rows = [];
  for (const [k, b] of after) {
    const a = before.get(k) ?? { run: 0, wait: 0, slices: 0 };
    const run = (b.run - a.run) / 1e6;
    if (run < 1) continue;
    rows.push([k, run, (b.wait - a.wait) / 1e6, b.slices - a.slices]);
  }
  rows.sort((x, y) => y[1] - x[1]);
  console.log('    threads (ms on a CPU per s / ms waiting for one per s / timeslices per s):');
  for (const [k, run, wait, slices] of rows) {
    console.log(
      `      ${(run / seconds).toFixed(1).padStart(7)} ${(wait / seconds).toFixed(1).padStart(7)} ${Math.round(
        slices / seconds,
      )
        .toString()
        .padStart(6)}  ${k}`,
    );
  }
}

const pct = (x) => `${(x * 100).toFixed(0).padStart(3)} %`;
for (let r = 1; r <= repeat; r++) {
  for (const spec of positionals) {
    const eq = spec.indexOf('=');
    const name = eq === -1 ? spec : spec.slice(0, eq);
    const target = TARGETS.find((t) => t.name === name);
    if (!target) throw new Error(`unknown target "${name}"`);
    const tlFile = join(outDir, `timeline-${name}.json`);
    const dumpFile = join(outDir, `timeline-${name}-requests.json`);
    rmSync(tlFile, { force: true });
    const options = { ...target.options, ...(eq === -1 ? {} : JSON.parse(spec.slice(eq + 1))), timeline: tlFile };
    const profileDir = profile ? join(outDir, 'timeline-profiles') : null;
    if (profileDir) rmSync(join(profileDir, `${name}.cpuprofile`), { force: true });
    const fleet = await startFleet({ targets: [{ ...target, options }], topo, outDir, gatewayOptions: {}, profileDir });
    let res;
    let sched;
    let steal;
    try {
      const url = fleet.servers.get(name).info.url + target.path;
      const load = { url, rate, connections: 50, cpu: topo.load, headers: HEADERS };
      if (saturate > 0) await runLoad({ ...load, tool: chooseTool(process.env.BENCH_TOOL), seconds: saturate });
      await runRate({ ...load, seconds: warmup });
      const procs = [
        ['gateway', fleet.servers.get(name).pid],
        ['upstream', fleet.upstreams.get(name).pid],
      ];
      const before = schedstat(procs);
      // A marker in the output the gateways share (with --trace-* flags: what happened during the measured run).
      console.log(`-- measured run of ${spec} starts`);
      const sampler = stealSampler();
      res = await runRate({ ...load, seconds, dump: dumpFile });
      steal = sampler.stop();
      console.log(`-- measured run of ${spec} ends`);
      sched = [before, schedstat(procs)];
    } finally {
      await fleet.stopAll();
    }
    const tl = JSON.parse(readFileSync(tlFile, 'utf8'));
    // Only what happened during the measured run.
    const dump = JSON.parse(readFileSync(dumpFile, 'utf8'));
    const [from, to] = [dump.due[0] - 50, dump.due.at(-1) + 1000];
    const inRun = (at) => at >= from && at <= to;
    const a = analyse(dump, {
      calls: tl.calls.filter((c) => inRun(c[0])),
      gcs: tl.gcs.filter((g) => inRun(g[0])),
      gaps: tl.gaps.filter((g) => inRun(g[0])),
    });
    console.log(
      `${spec}  round ${r}: p50 ${a.p50.toFixed(2)} ms  p99 ${res.p99.toFixed(2)} ms  slow ${a.slow} (in ${a.slowSeconds} distinct seconds)  ` +
        `calls ${a.calls}  loop gaps >3 ms ${a.gaps.n} (${a.gaps.afterCall} ≤3 ms after a call end; >10 ms ${a.gaps.over10}, max ${a.gaps.max.toFixed(1)} ms)  GCs ${a.gcs.major} full / ${a.gcs.minor} young`,
    );
    for (const row of a.rows) console.log(`    ${row.name.padEnd(16)} slow ${pct(row.slow)}   all ${pct(row.all)}`);
    printSched(sched[0], sched[1], seconds + 1);
    console.log(`    ${stealSummary(steal, dump.due[0])}`);
    if (profileDir) {
      const prof = JSON.parse(readFileSync(join(profileDir, `${name}.cpuprofile`), 'utf8'));
      const gaps = tl.gaps.filter((g) => inRun(g[0])).map(([at, ms]) => [at, at + ms]);
      const t = attribute(prof, tl.clock, gaps, from, to);
      printTop('during loop gaps, by function', t.gapSelf, t.gap, t.allSelf, t.all);
      printTop('during loop gaps, by the gateway frame on the stack', t.gapOwner, t.gap, null, 0);
      const busy = t.all - (t.allSelf.get('(idle) :0') ?? 0);
      printTop(
        `busy samples of the run (${((100 * busy) / t.all).toFixed(1)} % of all), by the gateway frame`,
        t.allOwner,
        busy,
        null,
        0,
        25,
      );
    }
  }
}
