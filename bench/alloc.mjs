#!/usr/bin/env node
/**
 * Where a target's requests allocate: starts the target's fleet (the bench's own `startFleet`: same pinning,
 * niceness and node flags), drives it at a fixed rate, and takes V8's sampling heap profile over the measured
 * window with collected objects included (young garbage too). Prints the allocating functions by bytes per request,
 * and the same grouped by package (node_modules/<name>, node's internals, the gateway's dist/). Reads dist/ (run
 * `npm run build` first). Allocation per request drives how often the young generation is scavenged; what survives
 * two scavenges is promoted, which is what brings on full collections.
 *
 *   node bench/alloc.mjs [--rate N] [--seconds S] [--warmup S] [--top K] [--promoted] <target[=json]>…
 *   (the `=json` options work as in bench/ab.mjs, `nodeFlags` included)
 *
 * `--promoted`: only what is still on the heap when the window ends. Young objects that died were scavenged away, and
 * promoted objects stay, dead or alive, until the next full collection: in a window without one (the line says how
 * many there were) that is what the requests promoted to the old generation, plus the young objects still alive.
 *
 * Each profile is also written to .bench/alloc-<target>.heapprofile (DevTools → Memory opens it).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { parseBenchArgs } from './lib/cli.mjs';
import { HEADERS, parseVariant, startFleet, topology } from './lib/fleet.mjs';
import { runRate } from './lib/load.mjs';
import { location, packageOf } from './lib/profile.mjs';
import { firstPath } from './lib/targets.mjs';

const { values, positionals } = parseBenchArgs({
  numbers: { rate: 1000, seconds: 10, warmup: 5, top: 25 },
  booleans: ['promoted'],
});
if (positionals.length === 0) {
  process.stderr.write(
    'usage: node bench/alloc.mjs [--rate N] [--seconds S] [--warmup S] [--top K] [--promoted] <target[=json]>…\n',
  );
  process.exit(2);
}
const outDir = new URL('../.bench/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const topo = topology(os.availableParallelism(), process.env);

/** Which package allocated; the gateway's own code by source directory (src/shadow, src/proxy, …). */
function origin(cf) {
  const pkg = packageOf(cf);
  return pkg === 'gateway (dist/)' ? `gateway ${dirname(location(cf))}` : pkg;
}

/** Self bytes per allocating function (name + script:line) and per origin, from a sampling heap profile. */
function tally(profile) {
  const fns = new Map();
  const origins = new Map();
  let total = 0;
  const walk = (node) => {
    if (node.selfSize > 0) {
      const cf = node.callFrame;
      const key = `${cf.functionName || '(anonymous)'} ${location(cf)}`.trim();
      fns.set(key, (fns.get(key) ?? 0) + node.selfSize);
      const o = origin(cf);
      origins.set(o, (origins.get(o) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  return { fns, origins, total };
}

const kb = (bytes, requests) => (bytes / requests / 1024).toFixed(2).padStart(8);

let failed = false;
for (const spec of positionals) {
  const { target: t, flags } = parseVariant(spec);
  const fleet = await startFleet({
    targets: [t],
    topo,
    outDir,
    gatewayOptions: {},
    ...(flags ? { nodeFlags: flags } : {}),
  });
  try {
    const srv = fleet.servers.get(t.name);
    const url = srv.info.url + firstPath(t);
    const load = { url, rate: values.rate, connections: 50, cpu: topo.load, headers: HEADERS };
    await runRate({ ...load, seconds: values.warmup });
    const file = join(outDir, `alloc-${t.name}.heapprofile`);
    if (!srv.heapProfile) throw new Error(`${t.name}: this server cannot take a heap profile`);
    await srv.windowStart();
    const profiled = srv.heapProfile(values.seconds * 1000 + 500, file, { all: !values.promoted });
    const r = await runRate({ ...load, seconds: values.seconds });
    const reply = await profiled;
    const w = await srv.windowEnd();
    if (!reply || reply.error)
      throw new Error(`${t.name}: heap profile failed${reply?.error ? `: ${reply.error}` : ''}`);
    if (r.non2xx + r.socketErrors > 0) failed = true;
    const requests = Math.max(1, Math.round(r.rps * values.seconds));
    const { fns, origins, total } = tally(JSON.parse(readFileSync(file, 'utf8')));
    process.stdout.write(
      `\n${spec}: ${requests} requests at ${Math.round(r.rps)} req/s, ${(total / 1024 / 1024).toFixed(1)} MB ` +
        `${values.promoted ? 'still on the heap at the end' : 'allocated'} (sampled) → ` +
        `${(total / requests / 1024).toFixed(2)} KB per request; full GCs in the window ${w?.gc?.major ?? '?'}, ` +
        `scavenges ${w?.gc?.minor ?? '?'} (profile: ${file})\n\n  KB/req  by origin\n`,
    );
    for (const [o, b] of [...origins].sort((a, b) => b[1] - a[1]).slice(0, 12))
      process.stdout.write(`${kb(b, requests)}  ${o}\n`);
    process.stdout.write('\n  KB/req  by allocating function\n');
    for (const [f, b] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, values.top))
      process.stdout.write(`${kb(b, requests)}  ${f}\n`);
  } finally {
    await fleet.stopAll();
  }
}
process.exit(failed ? 1 : 0);
