/**
 * `npm run bench`: the gateway against the same-run baselines (direct upstream, bare fastify + @fastify/http-proxy),
 * every server in its own pinned process, interleaved rounds, medians and spread. A report, not a test: it exits
 * non-zero only when something broke (non-2xx answers, socket errors, a server that died). Method and topology:
 * docs/benchmark.md.
 *
 *   BENCH_DURATION=10 BENCH_WARMUP=3 BENCH_ROUNDS=3 BENCH_CONNECTIONS=50 npm run bench
 *   BENCH_UPDATE_README=1 npm run bench     # also rewrites the marked README / docs block
 *   npm run bench -- --profile              # one round of the gateway targets under --cpu-prof, top functions
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyFlagChange, emptyDoc } from '../dist/flags/edit.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../dist/flags/names.js';
import { GATEWAY_NODE_FLAGS } from '../dist/src/runtime.js';
import { logStats, preflight, requestCounters, waitReady } from './lib/checks.mjs';
import { hasCommand, killAll, startServer } from './lib/children.mjs';
import { startCpuMeter } from './lib/cpu.mjs';
import { chooseTool, runLoad, toolVersion } from './lib/load.mjs';
import { analyzeProfile, formatProfile } from './lib/profile.mjs';
import { markdownBlock, replaceMarkedBlock, summarise, textTable } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = join(ROOT, '.bench');
const PROF_DIR = join(OUT, 'prof');
const server = (name) => join(ROOT, 'bench/servers', name);
const PROFILE = process.argv.includes('--profile');
const env = process.env;
/** CLOCK_MONOTONIC in µs: the clock V8's profile timestamps use, in every process of this machine. */
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

function setting(name, def) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

const TARGETS = [
  { name: 'direct', path: '/api/v2/tickets/1.json', description: 'the stand-in upstream itself, no proxy' },
  {
    name: 'bare',
    path: '/api/v2/tickets/1.json',
    description: 'fastify 5 + @fastify/http-proxy 11, { upstream } only',
  },
  { name: 'gateway', path: '/api/v2/users/1.json', description: 'gateway passthrough (path not in the route table)' },
  { name: 'gateway-slice', path: '/api/v2/tickets/1.json', description: 'tickets.get slice, flag off → legacy' },
];
/** Sent on every request to every target: what a Zendesk-style API client sends. */
const HEADERS = {
  accept: 'application/json',
  authorization: 'Basic YWdlbnRAZXhhbXBsZS5jb20vdG9rZW46YmVuY2gtdG9rZW4=',
  'user-agent': 'zendesk-api-client-bench/1.0',
};

function pickTargets() {
  const wanted = env.BENCH_TARGETS?.split(',').map((s) => s.trim()) ?? (PROFILE ? ['gateway', 'gateway-slice'] : null);
  if (!wanted) return TARGETS;
  const unknown = wanted.filter((w) => !TARGETS.some((t) => t.name === w));
  if (unknown.length) throw new Error(`BENCH_TARGETS: unknown target(s) ${unknown.join(', ')}`);
  return TARGETS.filter((t) => wanted.includes(t.name));
}

function topology(nproc) {
  if (env.BENCH_PIN === '0' || nproc < 2 || !hasCommand('taskset')) return { load: null, server: null, upstream: null };
  const upstream = env.BENCH_UPSTREAM_CPU !== undefined ? Number(env.BENCH_UPSTREAM_CPU) : nproc >= 3 ? 2 : 1;
  return { load: 0, server: 1, upstream };
}

function writeFlagsFile(file) {
  let doc = applyFlagChange(emptyDoc(), serveFlag('tickets.get'), { rollout: 0 });
  doc = applyFlagChange(doc, shadowFlag('tickets.get'), { enabled: false });
  doc = applyFlagChange(doc, KILL_SWITCH, { enabled: false });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

const fmtRun = (r) =>
  `${Math.round(r.rps)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  p99.9 ${r.p999.toFixed(2)} ms` +
  (r.serverUsPerReq === null ? '' : `  server CPU ${r.serverUsPerReq.toFixed(0)} µs/req`) +
  (r.foreignPct === null ? '' : `  other load on its CPU ${r.foreignPct.toFixed(0)}%`) +
  (r.non2xx + r.socketErrors ? `  ERRORS non-2xx ${r.non2xx} socket ${r.socketErrors}` : '');

async function main() {
  const targets = pickTargets();
  const s = {
    duration: setting('BENCH_DURATION', 10),
    warmup: setting('BENCH_WARMUP', 3),
    rounds: PROFILE ? 1 : setting('BENCH_ROUNDS', 3),
    connections: setting('BENCH_CONNECTIONS', 50),
  };
  const nproc = os.availableParallelism();
  const topo = topology(nproc);
  mkdirSync(OUT, { recursive: true });
  const tool = chooseTool(env.BENCH_TOOL);
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const meta = {
    command: PROFILE ? 'npm run bench -- --profile' : 'npm run bench',
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
  };
  const cpu = (c) => (c === null ? 'unpinned' : `CPU ${c}`);
  console.log(
    `bench: ${targets.map((t) => t.name).join(', ')}; ${s.rounds} round(s) × ${s.duration} s (+${s.warmup} s warm-up), ` +
      `${s.connections} connections, ${meta.tool}\n` +
      `topology (${nproc} CPUs): load generator ${cpu(topo.load)}, server under test ${cpu(topo.server)}, ` +
      `upstream ${cpu(topo.upstream)}${topo.server !== null && topo.server === topo.upstream ? ' (shared with the server under test: same for every target)' : ''}`,
  );

  const gatewayOptions = { log: env.BENCH_GATEWAY_LOG || 'buffered', publicUrl: env.BENCH_PUBLIC_URL || '' };
  meta.gatewayOptions = gatewayOptions;
  if (gatewayOptions.log !== 'buffered' || gatewayOptions.publicUrl) {
    console.log(`gateway options differ from the default: ${JSON.stringify(gatewayOptions)}`);
  }
  const flagsFile = join(OUT, 'flags.json');
  writeFlagsFile(flagsFile);
  if (PROFILE) {
    mkdirSync(PROF_DIR, { recursive: true });
    for (const f of readdirSync(PROF_DIR)) if (f.endsWith('.cpuprofile')) rmSync(join(PROF_DIR, f));
  }
  const upstream = await startServer({ name: 'upstream', script: server('upstream.mjs'), cpu: topo.upstream });
  const servers = new Map([['direct', upstream]]);
  for (const t of targets) {
    if (t.name === 'bare') {
      servers.set(
        t.name,
        await startServer({ name: t.name, script: server('bare.mjs'), args: [upstream.url], cpu: topo.server }),
      );
    } else if (t.name.startsWith('gateway')) {
      const log = join(OUT, `${t.name}-access.log`);
      rmSync(log, { force: true });
      const nodeArgs = PROFILE
        ? [
            '--cpu-prof',
            '--cpu-prof-dir',
            PROF_DIR,
            '--cpu-prof-name',
            `${t.name}.cpuprofile`,
            '--cpu-prof-interval',
            '500',
            ...GATEWAY_NODE_FLAGS,
          ]
        : [...GATEWAY_NODE_FLAGS];
      const gw = await startServer({
        name: t.name,
        script: server('gateway.mjs'),
        args: [upstream.url, flagsFile, log, JSON.stringify(gatewayOptions)],
        cpu: topo.server,
        nodeArgs,
      });
      gw.accessLog = log;
      await waitReady(gw.info.adminUrl);
      servers.set(t.name, gw);
    }
  }
  const checks = {};
  for (const t of targets)
    checks[t.name] = await preflight(
      t,
      servers.get(t.name).url + t.path,
      HEADERS,
      upstream.url,
      gatewayOptions.publicUrl,
    );
  console.log(`pre-flight: every target answers 200 with a ${checks[targets[0].name].bytes}-byte ticket`);

  const rounds = new Map(targets.map((t) => [t.name, []]));
  const warmups = new Map(targets.map((t) => [t.name, []]));
  const windows = new Map(); // last measured run per target, for the profile
  for (let r = 0; r < s.rounds; r++) {
    // Rotate the order each round so no target always runs right after the same neighbour.
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const srv = servers.get(t.name);
      const load = { tool, url: srv.url + t.path, connections: s.connections, cpu: topo.load, headers: HEADERS };
      warmups.get(t.name).push(await runLoad({ ...load, seconds: s.warmup }));
      const pids = { server: srv.pid, upstream: upstream.pid, sharedCpu: topo.server === topo.upstream };
      const meter = startCpuMeter(pids, t.name === 'direct' ? topo.upstream : topo.server);
      const fromUs = monoUs();
      const res = await runLoad({ ...load, seconds: s.duration });
      windows.set(t.name, { fromUs, toUs: monoUs() });
      Object.assign(res, meter(res.requests));
      rounds.get(t.name).push(res);
      for (const x of [upstream, srv]) if (x.crashed) throw new Error(`${x.name} ${x.crashed}`);
      console.log(`round ${r + 1}/${s.rounds}  ${t.name.padEnd(13)} ${fmtRun(res)}`);
    }
  }

  const rss = new Map(targets.map((t) => [t.name, servers.get(t.name).rss()]));
  const gatewayChecks = {};
  for (const t of targets.filter((x) => x.name.startsWith('gateway'))) {
    gatewayChecks[t.name] = { requestsTotal: await requestCounters(servers.get(t.name).info.adminUrl) };
  }
  const upstreamRss = upstream.rss();
  for (const srv of new Set(servers.values())) if (srv !== upstream) await srv.stop();
  await upstream.stop();
  for (const t of targets.filter((x) => x.name.startsWith('gateway'))) {
    gatewayChecks[t.name].accessLog = await logStats(servers.get(t.name).accessLog);
  }

  const rows = summarise(targets, rounds, rss);
  console.log(`\n${textTable(rows)}`);
  meta.contended = rows.filter((r) => r.foreignPctMax > 5).map((r) => `${r.target} ${Math.round(r.foreignPctMax)}%`);
  if (meta.contended.length) {
    console.log(
      `WARNING: processes outside the bench took a share of the server CPU during some runs (${meta.contended.join(', ')});` +
        ' those rows are suspect (run again on a quiet machine)',
    );
  }
  if (PROFILE) console.log('(profiled run: --cpu-prof slows the gateway; these numbers are not a comparison)');
  else if (!rows.some((r) => r.target === 'bare')) console.log('(no bare target in this run: no ratios)');
  const warmupErrors = [...warmups.values()].flat().reduce((n, w) => n + w.non2xx + w.socketErrors, 0);
  const errors = rows.reduce((n, r) => n + r.non2xx + r.socketErrors, 0) + warmupErrors;

  const profiles = [];
  if (PROFILE) {
    for (const f of readdirSync(PROF_DIR).filter((x) => x.endsWith('.cpuprofile'))) {
      const a = analyzeProfile(join(PROF_DIR, f), 15, windows.get(f.replace(/\.cpuprofile$/, '')) ?? null);
      profiles.push(a);
      console.log(`\n${formatProfile(a)}`);
    }
    if (!profiles.length) throw new Error(`no .cpuprofile written in ${PROF_DIR}`);
  }

  const results = { meta: { ...meta, upstreamRssMB: upstreamRss?.rss / 2 ** 20 }, rows, preflight: checks };
  Object.assign(results, { gateway: gatewayChecks, warmupErrors, profiles });
  writeFileSync(join(OUT, PROFILE ? 'profile-results.json' : 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote .bench/${PROFILE ? 'profile-results.json' : 'results.json'}`);

  if (env.BENCH_UPDATE_README === '1') {
    if (PROFILE) console.log('BENCH_UPDATE_README ignored in --profile mode (profiled numbers are not a comparison)');
    else if (gatewayOptions.log !== 'buffered' || gatewayOptions.publicUrl || env.BENCH_TARGETS) {
      console.log(
        'BENCH_UPDATE_README ignored: BENCH_TARGETS/BENCH_GATEWAY_LOG/BENCH_PUBLIC_URL change what is measured',
      );
    } else {
      const block = markdownBlock(rows, meta);
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
