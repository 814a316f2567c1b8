/**
 * `npm run bench`: the gateway against same-run baselines (direct upstream, bare fastify + @fastify/http-proxy, and
 * the gateway itself with a slice off), every server in its own pinned process, interleaved rounds, medians and
 * spread; then the latency of the main targets at a fixed moderate rate. A report, not a test: it exits non-zero
 * only when something broke (non-2xx answers, socket errors, a server that died). Method and topology:
 * docs/benchmark.md.
 *
 *   BENCH_DURATION=6 BENCH_WARMUP=2 BENCH_ROUNDS=8 BENCH_CONNECTIONS=50 npm run bench
 *   BENCH_UPDATE_README=1 npm run bench     # also rewrites the marked README / docs block
 *   npm run bench -- --profile              # one round of gateway targets under --cpu-prof, top functions
 *   npm run bench -- --soak                 # BENCH_SOAK_MINUTES (10) of passthrough + shadow at a fixed rate
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gatewayCounters, logStats, preflight, sumCounter, trafficSummary } from './lib/checks.mjs';
import { gitRevision, killAll, niceness } from './lib/children.mjs';
import { settle, startCpuMeter } from './lib/cpu.mjs';
import { FREEZE_IDLE, GATEWAY_NODE_FLAGS, HEADERS, startFleet, topology } from './lib/fleet.mjs';
import { chooseTool, runLoad, runRate, toolVersion } from './lib/load.mjs';
import { analyzeProfile, formatProfile } from './lib/profile.mjs';
import {
  markdownBlock,
  replaceMarkedBlock,
  soakVerdict,
  summarise,
  textRateTable,
  textTable,
  trafficLines,
} from './lib/report.mjs';
import { runSoak } from './lib/soak.mjs';
import { CANARY_TICKETS, firstPath, RATE_TARGETS, SLOW_NEW_MS, TARGETS, wrkRequestLua } from './lib/targets.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, '.bench');
const PROF_DIR = join(OUT, 'prof');
const REPORT_LUA = join(ROOT, 'bench/lib/wrk-report.lua');
const PROFILE = process.argv.includes('--profile');
const SOAK = process.argv.includes('--soak');
const env = process.env;
/** CLOCK_MONOTONIC in µs: the clock V8's profile timestamps use, in every process of this machine. */
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

function setting(name, def, { allowZero = false } = {}) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || (n === 0 && !allowZero)) {
    throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`);
  }
  return n;
}

/** The command as typed: the BENCH_* variables that were set, then the npm command. */
function commandLine(cmd) {
  const vars = Object.keys(env)
    .filter((k) => k.startsWith('BENCH_') && env[k] !== '')
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return [...vars, cmd].join(' ');
}

function pickTargets() {
  const wanted =
    env.BENCH_TARGETS?.split(',').map((s) => s.trim()) ??
    (PROFILE ? ['gateway', 'gateway-slice', 'gateway-shadow'] : null);
  if (!wanted) return TARGETS;
  const unknown = wanted.filter((w) => !TARGETS.some((t) => t.name === w));
  if (unknown.length) throw new Error(`BENCH_TARGETS: unknown target(s) ${unknown.join(', ')}`);
  return TARGETS.filter((t) => wanted.includes(t.name));
}

const fmtRun = (r) =>
  `${Math.round(r.rps)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  p99.9 ${r.p999.toFixed(2)} ms` +
  (r.serverUsPerReq === null ? '' : `  server CPU ${r.serverUsPerReq.toFixed(0)} µs/req`) +
  (r.window?.eld ? `  loop delay p99 ${r.window.eld.p99.toFixed(1)} ms` : '') +
  (r.window?.gc?.major ? `  full GCs ${r.window.gc.major} (${r.window.gc.majorMs.toFixed(0)} ms)` : '') +
  (r.foreignPct === null ? '' : `  other load on its CPU ${r.foreignPct.toFixed(0)}%`) +
  (r.sendLagP99 > 5 ? `  GENERATOR LATE p99 ${r.sendLagP99.toFixed(1)} ms` : '') +
  (r.non2xx + r.socketErrors ? `  ERRORS non-2xx ${r.non2xx} socket ${r.socketErrors}` : '');

/** The wrk script of a target: its request part (POST body, rotating paths) + the report; the plain report if none. */
function luaFor(t, nonce) {
  const request = wrkRequestLua(t, nonce);
  if (!request) return REPORT_LUA;
  const file = join(OUT, `${t.name}.lua`);
  writeFileSync(file, `${request}\n${readFileSync(REPORT_LUA, 'utf8')}`);
  return file;
}

/**
 * What the load generator sends for a target in one run. `tag` + the time make the run's conversation ids unique:
 * a warm-up and the measured run after it must never post to the same conversation.
 */
function requestOf(t, tag) {
  const nonce = `${tag}${Date.now().toString(36)}`;
  return {
    lua: luaFor(t, nonce),
    method: t.method,
    body: t.body,
    paths: t.paths,
    pathTemplate: t.pathTemplate?.replace('{n}', `${nonce}-{n}`),
  };
}

/** Extra pre-flight for the slices: the canary's mix, the shadow's comparisons, the AI answer served by new. */
async function sliceChecks(t, srv, url) {
  if (t.name === 'gateway-canary') {
    for (const p of t.paths) {
      const res = await fetch(new URL(p, url), { headers: HEADERS });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${t.name}: ${p} answered ${res.status}`);
    }
    const c = await gatewayCounters(srv.info.adminUrl);
    const byNew = sumCounter(c, 'gateway_requests_total', { slice: 'tickets.get', served_by: 'new' });
    const fallbacks = sumCounter(c, 'gateway_fallbacks_total', { slice: 'tickets.get' });
    if (byNew === 0) throw new Error(`${t.name}: none of ${CANARY_TICKETS} tickets was served by the new path`);
    const note = `canary pre-flight: ${byNew} of ${CANARY_TICKETS + 1} served by new, ${fallbacks} fallbacks`;
    console.log(fallbacks ? `WARNING ${note} (the new path fails on this ticket: see the access log)` : note);
    return { servedByNew: byNew, fallbacks };
  }
  if (t.name === 'gateway-shadow') {
    const until = Date.now() + 3_000;
    let done = 0;
    let c;
    while (Date.now() < until) {
      c = await gatewayCounters(srv.info.adminUrl);
      done = sumCounter(c, 'gateway_shadow_comparisons_total', { slice: 'tickets.get' });
      if (done) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const results = sumCounter(c, 'gateway_shadow_comparisons_total', { slice: 'tickets.get' }, 'result');
    if (!done) throw new Error(`${t.name}: no shadow comparison within 3 s of the pre-flight request`);
    console.log(`shadow pre-flight: comparison ${JSON.stringify(results)}`);
    return { shadowResults: results };
  }
  if (t.name === 'gateway-ai') {
    const c = await gatewayCounters(srv.info.adminUrl);
    const answers = sumCounter(c, 'gateway_ai_answers_total', {}, 'kind');
    const byNew = sumCounter(c, 'gateway_requests_total', { served_by: 'new' });
    if (!byNew || !answers.reply) {
      throw new Error(`${t.name}: the message was not answered by the automation (${JSON.stringify(answers)})`);
    }
    return { aiAnswers: answers };
  }
  return {};
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  if (SOAK) {
    const topo = topology(os.availableParallelism(), env);
    const command = commandLine('npm run bench -- --soak');
    return runSoak({ root: ROOT, outDir: OUT, env, headers: HEADERS, topo, command });
  }
  const targets = pickTargets();
  const s = {
    // Eight short rounds rather than five long ones (same time per target): the machine's speed drifts over minutes,
    // and rounds interleaved more finely put every target through the same drift (docs/benchmark.md, decision 24).
    duration: setting('BENCH_DURATION', PROFILE ? 10 : 6),
    warmup: setting('BENCH_WARMUP', 2),
    rounds: PROFILE ? 1 : setting('BENCH_ROUNDS', 8),
    connections: setting('BENCH_CONNECTIONS', 50),
    rateDuration: setting('BENCH_RATE_DURATION', setting('BENCH_DURATION', 6)),
  };
  const rateSetting = setting('BENCH_RATE', null, { allowZero: true });
  const rateTool = env.BENCH_RATE_TOOL === 'autocannon' ? 'autocannon' : 'paced';
  const nproc = os.availableParallelism();
  const topo = topology(nproc, env);
  const tool = chooseTool(env.BENCH_TOOL);
  const git = gitRevision(ROOT);
  const meta = {
    command: commandLine(PROFILE ? 'npm run bench -- --profile' : 'npm run bench'),
    date: new Date().toISOString(),
    git,
    nproc,
    cpuModel: os.cpus()[0]?.model?.trim() ?? 'unknown CPU',
    kernel: os.release(),
    node: process.version,
    tool: toolVersion(tool),
    ...s,
    topology: topo,
    headers: Object.keys(HEADERS),
    profile: PROFILE,
    nice: niceness,
    freeze: FREEZE_IDLE,
    gatewayNodeFlags: [...GATEWAY_NODE_FLAGS],
  };
  const cpu = (c) => (c === null ? 'unpinned' : `CPU ${c}`);
  console.log(
    `bench: ${targets.map((t) => t.name).join(', ')}; ${s.rounds} round(s) × ${s.duration} s (+${s.warmup} s warm-up), ` +
      `${s.connections} connections, ${meta.tool}\n` +
      `topology (${nproc} CPUs): load generator ${cpu(topo.load)}, server under test ${cpu(topo.server)}, ` +
      `upstream ${cpu(topo.upstream)}${topo.server !== null && topo.server === topo.upstream ? ' (shared with the server under test: same for every target)' : ''}` +
      (niceness === null ? '' : `; every bench process at nice ${niceness}`) +
      (FREEZE_IDLE ? '; the other servers frozen while one is measured (BENCH_FREEZE=0: not)' : ''),
  );

  const gatewayOptions = { log: env.BENCH_GATEWAY_LOG || 'buffered', publicUrl: env.BENCH_PUBLIC_URL || '' };
  meta.gatewayOptions = gatewayOptions;
  if (gatewayOptions.log !== 'buffered' || gatewayOptions.publicUrl) {
    console.log(`gateway options differ from the default: ${JSON.stringify(gatewayOptions)}`);
  }
  if (PROFILE) {
    mkdirSync(PROF_DIR, { recursive: true });
    for (const f of readdirSync(PROF_DIR)) if (f.endsWith('.cpuprofile')) rmSync(join(PROF_DIR, f));
  }
  const fleet = await startFleet({
    targets,
    topo,
    outDir: OUT,
    gatewayOptions,
    profileDir: PROFILE ? PROF_DIR : null,
  });
  const { servers, upstreams } = fleet;
  const checks = {};
  for (const t of targets) {
    const srv = servers.get(t.name);
    const url = srv.url + firstPath(t);
    checks[t.name] = await preflight(t, url, HEADERS, upstreams.get(t.name).url, gatewayOptions.publicUrl);
    Object.assign(checks[t.name], await sliceChecks(t, srv, srv.url));
  }
  console.log('pre-flight: every target answers as it should');
  const settled = await settle(topo.server);
  meta.settled = settled;
  if (settled) {
    console.log(
      `settled: the server CPU was busy ${settled.busyPct.toFixed(0)} % in the last second, after ${settled.seconds.toFixed(0)} s` +
        (settled.busyPct >= 10 ? ' (never quiet: the first round may be slowed)' : ''),
    );
  }

  /** One measured run: event-loop window, CPU meter, the load, and the window's RSS / delay. */
  async function measured(t, run) {
    const srv = servers.get(t.name);
    const ups = upstreams.get(t.name);
    await srv.windowStart();
    const pids = { server: srv.pid, upstream: ups.pid, sharedCpu: topo.server === topo.upstream };
    const meter = startCpuMeter(pids, t.server === 'upstream' ? topo.upstream : topo.server);
    const fromUs = monoUs();
    const res = await run();
    const window = { fromUs, toUs: monoUs() };
    Object.assign(res, meter(res.requests));
    res.window = await srv.windowEnd();
    for (const x of [ups, srv]) if (x.crashed) throw new Error(`${x.name} ${x.crashed}`);
    return { res, window };
  }

  const rounds = new Map(targets.map((t) => [t.name, []]));
  const warmups = new Map(targets.map((t) => [t.name, []]));
  const windows = new Map(); // last measured run per target, for the profile
  for (let r = 0; r < s.rounds; r++) {
    // Rotate the order each round so no target always runs right after the same neighbour.
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      // Every other server of the fleet is frozen (SIGSTOP) while this one is warmed up and measured.
      if (FREEZE_IDLE) fleet.only(t.name);
      const srv = servers.get(t.name);
      const load = { tool, url: srv.url + firstPath(t), connections: s.connections, cpu: topo.load, headers: HEADERS };
      const warmup = { ...load, request: requestOf(t, `w${r}`), seconds: firstWarmup(r, s.warmup) };
      warmups.get(t.name).push(await runLoad(warmup));
      const request = requestOf(t, `m${r}`);
      const { res, window } = await measured(t, () => runLoad({ ...load, request, seconds: s.duration }));
      windows.set(t.name, window);
      rounds.get(t.name).push(res);
      console.log(`round ${r + 1}/${s.rounds}  ${t.name.padEnd(17)} ${fmtRun(res)}`);
    }
  }
  const rows = summarise(targets, rounds);
  console.log(`\n${textTable(rows)}`);

  // Fixed rate: the latency a client sees at a moderate load, where saturation numbers say little.
  const rateTargets = PROFILE || rateSetting === 0 ? [] : targets.filter((t) => RATE_TARGETS.includes(t.name));
  const bareRow = rows.find((r) => r.target === 'bare');
  const rate =
    rateSetting !== null
      ? { value: rateSetting, source: 'BENCH_RATE' }
      : bareRow
        ? { value: Math.max(100, Math.round((0.4 * bareRow.rps) / 100) * 100), source: "40 % of this run's bare req/s" }
        : { value: 2000, source: 'default without a bare row' };
  meta.rate = { ...rate, tool: rateTool };
  const rateRounds = new Map(rateTargets.map((t) => [t.name, []]));
  if (rateTargets.length) {
    console.log(`\nfixed rate: ${rate.value} req/s (${rate.source}), ${s.rounds} round(s) × ${s.rateDuration} s`);
    for (let r = 0; r < s.rounds; r++) {
      const order = rateTargets.map((_, i) => rateTargets[(i + r) % rateTargets.length]);
      for (const t of order) {
        if (FREEZE_IDLE) fleet.only(t.name);
        const srv = servers.get(t.name);
        const load = {
          rateTool,
          url: srv.url + firstPath(t),
          rate: rate.value,
          connections: s.connections,
          cpu: topo.load,
          headers: HEADERS,
        };
        warmups.get(t.name).push(await runRate({ ...load, seconds: firstWarmup(r, s.warmup) }));
        const { res } = await measured(t, () => runRate({ ...load, seconds: s.rateDuration }));
        rateRounds.get(t.name).push(res);
        console.log(`rate ${r + 1}/${s.rounds}  ${t.name.padEnd(17)} ${fmtRun(res)}`);
      }
    }
  }
  const rateRows = rateTargets.length ? summarise(rateTargets, rateRounds) : [];
  if (rateRows.length) console.log(`\n${textRateTable(rateRows)}`);

  fleet.thawAll();
  const gatewayChecks = {};
  for (const t of targets.filter((x) => x.server === 'gateway')) {
    const counters = await gatewayCounters(servers.get(t.name).info.adminUrl);
    gatewayChecks[t.name] = { traffic: trafficSummary(counters), requestsTotal: counters.gateway_requests_total };
  }
  await fleet.stopAll();
  for (const t of targets.filter((x) => x.server === 'gateway')) {
    gatewayChecks[t.name].accessLog = await logStats(servers.get(t.name).accessLog);
  }
  console.log(`\n${trafficLines(gatewayChecks).join('\n')}`);

  meta.contended = [...rows, ...rateRows]
    .filter((r) => r.foreignPctMax > 5)
    .map((r) => `${r.target}${r.targetRate ? ' (fixed rate)' : ''} ${Math.round(r.foreignPctMax)}%`);
  if (meta.contended.length) {
    console.log(
      `WARNING: processes outside the bench took a share of the server CPU during some runs (${meta.contended.join(', ')});` +
        ' those rows are suspect (run again on a quiet machine)',
    );
  }
  const lateGenerator = rateRows.filter((r) => r.sendLagP99 > 5).map((r) => r.target);
  if (lateGenerator.length) {
    console.log(`WARNING: the fixed-rate generator itself ran late (p99 > 5 ms) for ${lateGenerator.join(', ')}`);
  }
  if (PROFILE) console.log('(profiled run: --cpu-prof slows the gateway; these numbers are not a comparison)');
  const warmupErrors = [...warmups.values()].flat().reduce((n, w) => n + w.non2xx + w.socketErrors, 0);
  const errors = [...rows, ...rateRows].reduce((n, r) => n + r.non2xx + r.socketErrors, 0) + warmupErrors;

  const soakFile = join(OUT, 'soak.json');
  const soak = existsSync(soakFile) ? JSON.parse(readFileSync(soakFile, 'utf8')) : null;
  const verdicts = issueVerdicts(rows, rateRows, soak);
  console.log(`\nissue targets:\n${verdicts.map((v) => `  ${v}`).join('\n')}`);

  const profiles = [];
  if (PROFILE) {
    for (const f of readdirSync(PROF_DIR).filter((x) => x.endsWith('.cpuprofile'))) {
      const a = analyzeProfile(join(PROF_DIR, f), 20, windows.get(f.replace(/\.cpuprofile$/, '')) ?? null);
      profiles.push(a);
      console.log(`\n${formatProfile(a)}`);
    }
    if (!profiles.length) throw new Error(`no .cpuprofile written in ${PROF_DIR}`);
  }

  const results = { meta, rows, rateRows, preflight: checks, gateway: gatewayChecks, warmupErrors, profiles };
  writeFileSync(join(OUT, PROFILE ? 'profile-results.json' : 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote .bench/${PROFILE ? 'profile-results.json' : 'results.json'}`);

  if (env.BENCH_UPDATE_README === '1') {
    if (PROFILE) console.log('BENCH_UPDATE_README ignored in --profile mode (profiled numbers are not a comparison)');
    else if (
      gatewayOptions.log !== 'buffered' ||
      gatewayOptions.publicUrl ||
      env.BENCH_TARGETS ||
      env.BENCH_RATE ||
      env.BENCH_GATEWAY_NODE_FLAGS !== undefined
    ) {
      console.log(
        'BENCH_UPDATE_README ignored: BENCH_TARGETS/BENCH_RATE/BENCH_GATEWAY_LOG/BENCH_PUBLIC_URL/BENCH_GATEWAY_NODE_FLAGS' +
          ' change what is measured',
      );
    } else {
      const block = markdownBlock({ rows, rateRows, meta, gateway: gatewayChecks, soak, verdicts });
      const readme = replaceMarkedBlock(join(ROOT, 'README.md'), block);
      const docs = replaceMarkedBlock(join(ROOT, 'docs/benchmark.md'), block);
      console.log(
        readme
          ? 'README.md: benchmark block updated'
          : 'README.md missing or without <!-- bench:start/end --> markers: not changed',
      );
      console.log(docs ? 'docs/benchmark.md: results block updated' : 'docs/benchmark.md has no markers: not changed');
    }
  }
  if (errors) console.error(`\nFAILED: ${errors} non-2xx answers or socket errors (see the errors column)`);
  return errors ? 1 : 0;
}

/**
 * A target's first warm-up of a phase is three times as long: bare runs with node's default young generation, which
 * starts at 1 MB and grows under load, and in short runs its first measured round came out 20–45 % slower than its
 * later ones (2026-11-29); the gateway's is fixed at 16 MB (decision 13). Later rounds find every server warm.
 */
const firstWarmup = (round, seconds) => (round === 0 ? seconds * 3 : seconds);

/** The issue's targets, each with the measured number and PASS / FAIL / not measured. */
function issueVerdicts(rows, rateRows, soak) {
  const row = (list, name) => list.find((r) => r.target === name);
  const f2 = (x) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(2));
  /** A percentage change with its sign (− for less, + for more). */
  const signed = (pct) => `${pct < 0 ? '−' : '+'}${Math.abs(pct).toFixed(1)}`;
  const costPct = (ratio, inverse) => (ratio === null ? Number.NaN : inverse ? (1 - ratio) * 100 : (ratio - 1) * 100);
  const out = [];
  const suspect = (...rs) => {
    const worst = Math.max(...rs.filter(Boolean).map((r) => r.foreignPctMax || 0));
    return worst > 5 ? ` (suspect: other processes took up to ${Math.round(worst)} % of the server CPU)` : '';
  };
  /**
   * When the odd and the even rounds alone would give a different verdict than all rounds together, the verdict is
   * within this run's noise: say so, with both halves' figures.
   */
  const halvesNote = (passes, halves, describe) => {
    if (!halves) return '';
    const verdicts = halves.map(passes);
    const whole = verdicts.every(Boolean) || !verdicts.some(Boolean) ? null : verdicts;
    return whole
      ? `; the halves of the rounds disagree (${halves.map(describe).join(' / ')}): within this run's noise`
      : '';
  };
  const gw = row(rows, 'gateway');
  out.push(
    gw?.rpsRatio
      ? `passthrough ≥ 1.1× bare req/s with p99 no worse: ${f2(gw.rpsRatio)}× req/s, p99 ${f2(gw.p99Ratio)}× → ${gw.verdict}` +
          halvesNote(
            (h) => h.rps >= gw.issue.rps && h.p99 <= gw.issue.p99,
            gw.halfRatios,
            (h) => `${f2(h.rps)}× req/s, p99 ${f2(h.p99)}×`,
          ) +
          suspect(gw, row(rows, 'bare'))
      : 'passthrough ≥ 1.1× bare: not measured in this run',
  );
  const shadowLine = (name, what) => {
    const sh = row(rows, name);
    if (!sh?.rpsRatio) return `${what} ≤ 10 %: not measured in this run`;
    const shr = row(rateRows, name);
    const atRate = shr?.p99Ratio
      ? `; at the fixed rate p99 ${f2(shr.p99Ratio)}× (${costPct(shr.p99Ratio).toFixed(0)} %)`
      : '';
    // The target is on p99 at either load: the fixed-rate p99 counts as much as the saturated one.
    const misses = sh.verdict.startsWith('FAIL (') ? sh.verdict.slice(6, -1).split(', ') : [];
    if (shr?.p99Ratio && shr.p99Ratio > sh.issue.p99) misses.push('p99 at the fixed rate');
    const verdict = misses.length ? `FAIL (${misses.join(', ')})` : 'PASS';
    const halves =
      sh.halfRatios && (!shr || shr.halfRatios)
        ? sh.halfRatios.map((h, i) => ({ ...h, rateP99: shr?.halfRatios[i].p99 ?? null }))
        : null;
    return (
      `${what} costs ≤ 10 % req/s and p99 (vs gateway-slice, saturated): req/s ${signed(-costPct(sh.rpsRatio, true))} %, ` +
      `p99 ${signed(costPct(sh.p99Ratio))} %${atRate} → ${verdict}` +
      halvesNote(
        (h) => h.rps >= sh.issue.rps && h.p99 <= sh.issue.p99 && (h.rateP99 === null || h.rateP99 <= sh.issue.p99),
        halves,
        (h) =>
          `req/s ${f2(h.rps)}×, p99 ${f2(h.p99)}×${h.rateP99 === null ? '' : `, fixed-rate p99 ${f2(h.rateP99)}×`}`,
      ) +
      suspect(sh, row(rows, 'gateway-slice'))
    );
  };
  out.push(shadowLine('gateway-shadow', `100 % shadow, new path slowed by ${SLOW_NEW_MS} ms,`));
  out.push(shadowLine('gateway-shadow-5s', '100 % shadow, 5 s new path (issue 6),'));
  out.push(shadowLine('gateway-shadow-failing', '100 % shadow, failing new path (issue 6),'));
  out.push(soak ? soakVerdict(soak) : 'RSS drift ≤ 10 %: soak not run (`npm run bench -- --soak`)');
  return out;
}

let bailing = false;
const bail = (code, why) => {
  if (bailing) return; // the first reason wins (an interrupt also fails the wrk run in progress)
  bailing = true;
  if (why) console.error(why);
  void killAll().finally(() => process.exit(code));
};
process.once('SIGINT', () => bail(130, '\ninterrupted: stopping every child'));
process.once('SIGTERM', () => bail(143, 'terminated: stopping every child'));
try {
  bail(await main());
} catch (err) {
  bail(1, `bench failed: ${err?.stack ?? err}`);
}
