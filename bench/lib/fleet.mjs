/**
 * Starts the processes a set of targets needs, each pinned: the stand-in upstream (shared), one legacy simulator per
 * target that names it as its upstream (so one target's legacy writes never grow another's conversation), bare, and
 * one gateway per gateway target with its own flags file, access log and options.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS as SHIPPED_FLAGS } from '../../dist/src/runtime.js';
import { waitReady } from './checks.mjs';
import { hasCommand, startServer } from './children.mjs';
import { TARGETS, writeFlagsFile } from './targets.mjs';

/** BENCH_GATEWAY_NODE_FLAGS (space-separated) replaces the shipped V8 flags of the gateway children: for A/B runs. */
export const GATEWAY_NODE_FLAGS =
  process.env.BENCH_GATEWAY_NODE_FLAGS !== undefined
    ? process.env.BENCH_GATEWAY_NODE_FLAGS.split(' ').filter(Boolean)
    : SHIPPED_FLAGS;

/**
 * A variant on the command line of bench/ab.mjs and bench/alloc.mjs: a target name, optionally with gateway options
 * after `=` (JSON, merged over the target's own). A `nodeFlags` key there sets the gateway's V8 flags: a string is
 * added to the shipped flags, a list used instead of them. Returns { label, target, flags } (flags undefined: the
 * shipped ones); throws on an unknown target.
 */
export function parseVariant(spec) {
  const eq = spec.indexOf('=');
  const name = eq === -1 ? spec : spec.slice(0, eq);
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`unknown target "${name}" (known: ${TARGETS.map((t) => t.name).join(', ')})`);
  const { nodeFlags, ...options } = eq === -1 ? {} : JSON.parse(spec.slice(eq + 1));
  const flags =
    nodeFlags === undefined
      ? undefined
      : Array.isArray(nodeFlags)
        ? nodeFlags
        : [...GATEWAY_NODE_FLAGS, ...String(nodeFlags).split(' ').filter(Boolean)];
  return { label: spec, flags, target: { ...target, options: { ...target.options, ...options } } };
}

/** BENCH_FREEZE=0: the fleet's other servers keep running while one is measured (`only` below, decision 25). */
export const FREEZE_IDLE = process.env.BENCH_FREEZE !== '0';

/** Sent on every request to every target: what a Zendesk-style API client sends. */
export const HEADERS = {
  accept: 'application/json',
  authorization: 'Basic YWdlbnRAZXhhbXBsZS5jb20vdG9rZW46YmVuY2gtdG9rZW4=',
  'user-agent': 'zendesk-api-client-bench/1.0',
};

/** CPUs of the load generator, the server under test and the upstream (BENCH_PIN, BENCH_UPSTREAM_CPU; null: unpinned). */
export function topology(nproc, env) {
  if (env.BENCH_PIN === '0' || nproc < 2 || !hasCommand('taskset')) return { load: null, server: null, upstream: null };
  const upstream = env.BENCH_UPSTREAM_CPU !== undefined ? Number(env.BENCH_UPSTREAM_CPU) : nproc >= 3 ? 2 : 1;
  return { load: 0, server: 1, upstream };
}

const server = (name) => fileURLToPath(new URL(`../servers/${name}`, import.meta.url));

/**
 * Returns { servers: Map<target, handle>, upstreams: Map<target, handle>, stopAll() }. profileDir: start the
 * gateways under --cpu-prof writing <target>.cpuprofile there. nodeFlags: the gateways' V8 flags (default: the
 * shipped ones, or BENCH_GATEWAY_NODE_FLAGS).
 */
export async function startFleet({
  targets,
  topo,
  outDir,
  gatewayOptions,
  profileDir = null,
  nodeFlags = GATEWAY_NODE_FLAGS,
}) {
  const started = [];
  const start = async (opts) => {
    const h = await startServer(opts);
    started.push(h);
    return h;
  };
  let standIn = null;
  const upstreamFor = async (t) => {
    if (t.upstream === 'simulator') {
      return start({ name: `${t.name}-simulator`, script: server('simulator.mjs'), cpu: topo.upstream });
    }
    standIn ??= await start({ name: 'upstream', script: server('upstream.mjs'), cpu: topo.upstream });
    return standIn;
  };
  const servers = new Map();
  const upstreams = new Map();
  for (const t of targets) {
    const up = await upstreamFor(t);
    upstreams.set(t.name, up);
    if (t.server === 'upstream') servers.set(t.name, up);
    else if (t.server === 'bare') {
      servers.set(t.name, await start({ name: t.name, script: server('bare.mjs'), args: [up.url], cpu: topo.server }));
    } else {
      const log = join(outDir, `${t.name}-access.log`);
      const flagsFile = join(outDir, `flags-${t.name}.json`);
      rmSync(log, { force: true });
      writeFlagsFile(flagsFile, t.flags);
      const nodeArgs = profileDir
        ? [
            '--cpu-prof',
            '--cpu-prof-dir',
            profileDir,
            '--cpu-prof-name',
            `${t.name}.cpuprofile`,
            '--cpu-prof-interval',
            '500',
            ...nodeFlags,
          ]
        : [...nodeFlags];
      const gw = await start({
        name: t.name,
        script: server('gateway.mjs'),
        args: [up.url, flagsFile, log, JSON.stringify({ ...gatewayOptions, ...t.options })],
        cpu: topo.server,
        nodeArgs,
      });
      gw.accessLog = log;
      gw.flagsFile = flagsFile;
      await waitReady(gw.info.adminUrl);
      servers.set(t.name, gw);
    }
  }
  const ups = new Set(upstreams.values());
  /**
   * Only `name`'s server runs: every other server of the fleet (gateways, bare; upstreams keep running, the stand-in
   * serves several targets) is frozen until the next call or `thawAll()`. In the full bench a dozen servers share the
   * measured server's CPU; idle, they still ran their timers, leftover shadow work and collections beside it.
   */
  const only = (name) => {
    const keep = servers.get(name);
    for (const h of started) if (!ups.has(h) && h !== keep) h.freeze();
    keep?.thaw();
  };
  const thawAll = () => {
    for (const h of started) h.thaw();
  };
  /** Gateways and bare first, upstreams last (a gateway's shutdown may still talk to its legacy). */
  const stopAll = async () => {
    thawAll();
    for (const h of started) if (!ups.has(h)) await h.stop();
    for (const h of ups) await h.stop();
  };
  return { servers, upstreams, started, stopAll, only, thawAll };
}
