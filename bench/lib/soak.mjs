/**
 * `npm run bench -- --soak`: one gateway under a steady mix of passthrough and 100 %-shadowed tickets.get traffic at
 * a fixed rate for BENCH_SOAK_MINUTES (default 10), its RSS, heap and event-loop delay sampled every 10 s. The
 * number that matters is RSS drift: the mean of the last minute against the mean of the first minute after a
 * warm-up minute (target ≤ 10 %). Writes .bench/soak.json; BENCH_UPDATE_README=1 rewrites the soak lines of the
 * marked README / docs block.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { gatewayCounters, preflight, sumCounter, trafficSummary } from './checks.mjs';
import { gitRevision, niceness } from './children.mjs';
import { startCpuMeter } from './cpu.mjs';
import { GATEWAY_NODE_FLAGS, startFleet } from './fleet.mjs';
import { runRate } from './load.mjs';
import { MARK_END, MARK_START, median, soakLine, soakVerdict } from './report.mjs';

const SAMPLE_MS = 10_000;
const MB = 2 ** 20;

function positive(env, name, def) {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

const mb = (bytes) => (bytes === undefined || Number.isNaN(bytes) ? '–' : (bytes / MB).toFixed(1));
const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);

/** RSS drift between the first window after the warm-up and the last window; samples: [{ t (s), rss, heapUsed }]. */
export function drift(samples, totalSeconds) {
  const warmupSeconds = Math.min(60, totalSeconds * 0.2);
  const windowSeconds = Math.min(60, (totalSeconds - warmupSeconds) / 2);
  const first = samples.filter((x) => x.t > warmupSeconds && x.t <= warmupSeconds + windowSeconds + 0.5);
  const last = samples.filter((x) => x.t > totalSeconds - windowSeconds - 0.5);
  const firstMB = mean(first.map((x) => x.rss)) / MB;
  const lastMB = mean(last.map((x) => x.rss)) / MB;
  return {
    warmupSeconds,
    windowSeconds,
    firstSamples: first.length,
    lastSamples: last.length,
    firstMB,
    lastMB,
    rssDriftPct: (lastMB / firstMB - 1) * 100,
    heapFirstMB: mean(first.map((x) => x.heapUsed)) / MB,
    heapLastMB: mean(last.map((x) => x.heapUsed)) / MB,
  };
}

export async function runSoak({ root, outDir, env, headers, topo, command }) {
  const minutes = positive(env, 'BENCH_SOAK_MINUTES', 10);
  const rate = positive(env, 'BENCH_SOAK_RATE', 1000);
  const connections = positive(env, 'BENCH_CONNECTIONS', 50);
  const totalSeconds = Math.round(minutes * 60);
  const git = gitRevision(root);
  // --expose-gc only lets the last sample ask for a full collection first (what is live at the end, as against
  // garbage waiting for V8's next mark-compact); nothing calls it before then.
  const soakFlags = [...GATEWAY_NODE_FLAGS, '--expose-gc'];
  const target = {
    name: 'soak',
    server: 'gateway',
    description: 'passthrough + tickets.get shadowed at 100 % (the real new handler), shadow defaults',
    flags: { serve: [], shadow: [['tickets.get', 100]] },
  };
  // Half passthrough (users), half the shadowed slice (tickets), 100 different ids each.
  const paths = Array.from({ length: 100 }, (_, i) => [
    `/api/v2/users/${i + 1}.json`,
    `/api/v2/tickets/${i + 1}.json`,
  ]).flat();
  const meta = {
    command,
    date: new Date().toISOString(),
    git,
    nproc: os.availableParallelism(),
    node: process.version,
    minutes,
    rate,
    connections,
    sampleSeconds: SAMPLE_MS / 1000,
    topology: topo,
    nice: niceness,
    gatewayNodeFlags: soakFlags,
    target: target.description,
  };
  console.log(
    `soak: ${minutes} min at ${rate} req/s over ${connections} connections (passthrough + shadow 100 %), ` +
      `RSS sampled every ${SAMPLE_MS / 1000} s`,
  );
  // BENCH_SOAK_GATEWAY: gateway options (JSON, as bench:ab takes them) for probes; the README is then left alone.
  const probeOptions = env.BENCH_SOAK_GATEWAY ? JSON.parse(env.BENCH_SOAK_GATEWAY) : null;
  if (probeOptions) meta.gatewayOptions = probeOptions;
  const fleet = await startFleet({
    targets: [target],
    topo,
    outDir,
    gatewayOptions: { log: 'buffered', ...probeOptions },
    nodeFlags: soakFlags,
  });
  const gw = fleet.servers.get('soak');
  const up = fleet.upstreams.get('soak');
  try {
    for (const p of paths.slice(0, 2)) {
      await preflight({ ...target, path: p }, gw.url + p, headers, up.url);
    }
    const t0 = Date.now();
    const samples = [];
    await gw.windowStart();
    let meter = startCpuMeter(
      { server: gw.pid, upstream: up.pid, sharedCpu: topo.server === topo.upstream },
      topo.server,
    );
    const sampler = setInterval(async () => {
      const w = await gw.sample();
      const cpu = meter(1);
      meter = startCpuMeter(
        { server: gw.pid, upstream: up.pid, sharedCpu: topo.server === topo.upstream },
        topo.server,
      );
      if (!w) return;
      const x = {
        t: Math.round((Date.now() - t0) / 100) / 10,
        rss: w.rss,
        heapUsed: w.heapUsed,
        heapTotal: w.heapTotal,
        external: w.external,
        anonymous: w.anonymous ?? undefined,
        oldCommitted: w.committed?.old ?? undefined,
        newCommitted: w.committed?.new ?? undefined,
        gc: w.gc,
        eld: w.eld,
      };
      x.foreignPct = cpu.foreignPct;
      samples.push(x);
      console.log(
        `  ${String(x.t).padStart(6)} s  RSS ${(x.rss / MB).toFixed(1)} MB (anon ${mb(x.anonymous)})` +
          `  heap ${(x.heapUsed / MB).toFixed(1)} / ${mb(x.heapTotal)} MB (old ${mb(x.oldCommitted)}, new ${mb(x.newCommitted)})` +
          `  full GCs ${x.gc?.major ?? '–'}` +
          `  loop delay p99 ${w.eld?.p99.toFixed(1) ?? '–'} ms max ${w.eld?.max.toFixed(1) ?? '–'} ms` +
          (cpu.foreignPct === null ? '' : `  other load ${cpu.foreignPct.toFixed(0)}%`),
      );
    }, SAMPLE_MS);
    // BENCH_SOAK_HEAP_PROFILE=<s>: a sampling heap profile of the gateway over that many seconds after the warm-up.
    const profileSeconds = Number(env.BENCH_SOAK_HEAP_PROFILE ?? 0);
    let profileTimer = null;
    if (profileSeconds > 0) {
      const file = join(outDir, 'soak.heapprofile');
      profileTimer = setTimeout(() => {
        gw.heapProfile(profileSeconds * 1000, file).then((r) =>
          console.log(r?.error ? `heap profile failed: ${r.error}` : `heap profile written to ${file}`),
        );
      }, 60_000);
    }
    let load;
    try {
      load = await runRate({
        url: gw.url + paths[0],
        paths,
        rate,
        seconds: totalSeconds,
        connections,
        cpu: topo.load,
        headers,
      });
    } finally {
      clearInterval(sampler);
      clearTimeout(profileTimer);
    }
    if (gw.crashed || up.crashed) throw new Error(`soak: ${gw.crashed ? 'gateway' : 'upstream'} died`);
    const end = await gw.sample({ collect: true });
    const afterCollection = end ? { rssMB: end.rss / MB, heapMB: end.heapUsed / MB } : null;
    const counters = await gatewayCounters(gw.info.adminUrl);
    const traffic = trafficSummary(counters);
    const d = drift(samples, totalSeconds);
    const eldP99s = samples.map((x) => x.eld?.p99).filter((x) => x !== undefined);
    const result = {
      meta: { ...meta, warmupSeconds: d.warmupSeconds },
      drift: d,
      eld: {
        p99: median(eldP99s),
        worstP99: Math.max(...eldP99s),
        max: Math.max(...samples.map((x) => x.eld?.max ?? 0)),
      },
      load,
      traffic: {
        ...traffic,
        shadowComparisonsTotal: sumCounter(counters, 'gateway_shadow_comparisons_total'),
        shadowSkippedTotal: sumCounter(counters, 'gateway_shadow_skipped_total'),
      },
      foreignPctMax: Math.max(...samples.map((x) => x.foreignPct ?? 0)),
      afterCollection,
      fullCollections: samples.reduce((n, x) => n + (x.gc?.major ?? 0), 0),
      samples,
    };
    writeFileSync(join(outDir, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\n${soakLine(result)}\nwrote .bench/soak.json`);
    if (result.foreignPctMax > 5) {
      console.log(
        `WARNING: processes outside the bench took up to ${result.foreignPctMax.toFixed(0)}% of the server CPU in a window`,
      );
    }
    if (env.BENCH_UPDATE_README === '1' && (probeOptions || env.BENCH_GATEWAY_NODE_FLAGS !== undefined)) {
      console.log('BENCH_UPDATE_README ignored: BENCH_SOAK_GATEWAY/BENCH_GATEWAY_NODE_FLAGS change what is measured');
    } else if (env.BENCH_UPDATE_README === '1') {
      for (const f of ['README.md', 'docs/benchmark.md']) {
        const ok = replaceSoakLines(join(root, f), result);
        console.log(`${f}: ${ok ? 'soak lines updated' : 'no marked block with soak lines: not changed'}`);
      }
    }
    return load.non2xx + load.socketErrors ? 1 : 0;
  } finally {
    await fleet.stopAll();
  }
}

/** Rewrites the soak line and the RSS-drift verdict inside the marked block (the rest of it stays as it is). */
function replaceSoakLines(file, result) {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(MARK_START);
  const b = text.indexOf(MARK_END);
  if (a === -1 || b === -1 || b < a) return false;
  const lines = text.slice(a, b).split('\n');
  let hits = 0;
  const out = lines.map((l) => {
    if (l.startsWith('Soak')) {
      hits++;
      return soakLine(result);
    }
    if (l.startsWith('- RSS drift')) {
      hits++;
      return `- ${soakVerdict(result)}`;
    }
    return l;
  });
  if (!hits) return false;
  writeFileSync(file, text.slice(0, a) + out.join('\n') + text.slice(b));
  return true;
}
