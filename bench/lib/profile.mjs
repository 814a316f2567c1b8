/**
 * Reads a V8 .cpuprofile (as written by `node --cpu-prof`) and ranks functions by self time (hits of the nodes,
 * grouped by functionName + url + line), plus the gateway's own functions by inclusive time, so hot-path costs
 * show up with the file they live in. Frames in dist/ are mapped back to src/ through the .js.map files; native
 * frames (no url) are labelled with the JS function that called them most.
 * With a window (CLOCK_MONOTONIC µs, the clock of both the profile and process.hrtime) only samples inside it count,
 * so start-up and warm-up stay out of the numbers; without one, every sample counts (the nodes' hitCount).
 * Standalone: node bench/lib/profile.mjs <file.cpuprofile> [top]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VM_FRAMES = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);
const maps = new Map();

function sourceMapFor(file) {
  if (!maps.has(file)) {
    let map = null;
    try {
      if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return maps.get(file);
}

/** "src/proxy/passthrough.ts:123" for our frames, "node_modules/pino/lib/proto.js:45", "node:internal/…:12". */
export function location(cf) {
  if (!cf.url) return '';
  // CommonJS frames of heap profiles carry a plain path, ES modules and CPU profiles a file:// URL.
  const file = cf.url.startsWith('file://') ? fileURLToPath(cf.url) : cf.url.startsWith('/') ? cf.url : null;
  if (file === null) return `${cf.url}:${cf.lineNumber + 1}`;
  const rel = relative(ROOT, file);
  if (rel.startsWith('dist/')) {
    const entry = sourceMapFor(file)?.findEntry(cf.lineNumber, cf.columnNumber);
    if (entry?.originalSource) {
      const src = entry.originalSource.startsWith('file://')
        ? fileURLToPath(entry.originalSource)
        : entry.originalSource;
      const srcRel = src.startsWith('/') ? relative(ROOT, src) : src.replace(/^(\.\.\/)+/, '');
      return `${srcRel}:${entry.originalLine + 1}`;
    }
  }
  return `${rel}:${cf.lineNumber + 1}`;
}

/** Which package a frame belongs to: gateway (our dist/), a node_modules package, node, or the VM. */
export function packageOf(cf) {
  if (!cf.url) return VM_FRAMES.has(cf.functionName) ? cf.functionName : '(native)';
  if (cf.url.startsWith('node:')) return 'node (core)';
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(cf.url);
  if (m) return m[1];
  if (cf.url.includes('/dist/')) return 'gateway (dist/)';
  if (cf.url.includes('/bench/')) return 'bench harness';
  return '(other)';
}

/** "called from fn (file:line) 80%" for the main caller of a native frame. */
function calledFrom(callers) {
  if (!callers?.size) return '';
  const all = [...callers.values()];
  const sum = all.reduce((s, c) => s + c.hits, 0);
  const best = all.sort((a, b) => b.hits - a.hits)[0];
  const share = Math.round((100 * best.hits) / sum);
  return `native, ${share}% from ${best.cf.functionName || '(anonymous)'} (${location(best.cf)})`;
}

const keyOf = (cf) => `${cf.functionName}\u0000${cf.url}\u0000${cf.lineNumber}`;

/** Hits per node id: all of them (hitCount), or only the samples taken inside [fromUs, toUs]. */
function hitsOf(prof, window) {
  const hits = new Map();
  if (!window || !prof.samples || !prof.timeDeltas) {
    for (const n of prof.nodes) hits.set(n.id, n.hitCount ?? 0);
    return hits;
  }
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    if (t < window.fromUs || t > window.toUs) continue;
    hits.set(prof.samples[i], (hits.get(prof.samples[i]) ?? 0) + 1);
  }
  return hits;
}

export function analyzeProfile(file, top = 15, window = null) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const hits = hitsOf(prof, window);
  const hitCount = (n) => hits.get(n.id) ?? 0;
  const isIdle = (n) => n.callFrame.functionName === '(idle)';
  const total = prof.nodes.reduce((s, n) => s + hitCount(n), 0);
  const idle = prof.nodes.filter(isIdle).reduce((s, n) => s + hitCount(n), 0);
  const busy = total - idle;

  const self = new Map();
  const packages = new Map();
  for (const n of prof.nodes) {
    const h = hitCount(n);
    if (!h || isIdle(n)) continue;
    const k = keyOf(n.callFrame);
    const e = self.get(k) ?? { cf: n.callFrame, hits: 0, callers: new Map() };
    e.hits += h;
    self.set(k, e);
    if (packageOf(n.callFrame) === '(native)') {
      // A native frame says nothing by itself: remember which JS function called it.
      let p = parentOf.get(n.id);
      while (p && !p.callFrame.url && p.callFrame.functionName !== '(root)') p = parentOf.get(p.id);
      if (p?.callFrame.url) {
        const pk = keyOf(p.callFrame);
        const c = e.callers.get(pk) ?? { cf: p.callFrame, hits: 0 };
        c.hits += h;
        e.callers.set(pk, c);
      }
    }
    const p = packageOf(n.callFrame);
    packages.set(p, (packages.get(p) ?? 0) + h);
  }

  // Inclusive time of gateway functions; a function already on the stack is not counted twice (recursion).
  const inclusive = new Map();
  const onStack = new Map();
  const walk = (n) => {
    const k = keyOf(n.callFrame);
    const ours = packageOf(n.callFrame) === 'gateway (dist/)';
    let sum = isIdle(n) ? 0 : hitCount(n);
    if (ours) onStack.set(k, (onStack.get(k) ?? 0) + 1);
    for (const c of n.children ?? []) sum += walk(byId.get(c));
    if (ours) {
      onStack.set(k, onStack.get(k) - 1);
      if (onStack.get(k) === 0) {
        const e = inclusive.get(k) ?? { cf: n.callFrame, hits: 0 };
        e.hits += sum;
        inclusive.set(k, e);
      }
    }
    return sum;
  };
  walk(prof.nodes[0]);

  const pct = (h) => (busy ? (100 * h) / busy : 0);
  const rows = (m) =>
    [...m.values()]
      .sort((a, b) => b.hits - a.hits)
      .slice(0, top)
      .map((e) => ({
        function: e.cf.functionName || '(anonymous)',
        location: location(e.cf) || calledFrom(e.callers),
        package: packageOf(e.cf),
        hits: e.hits,
        pct: Number(pct(e.hits).toFixed(2)),
      }));
  return {
    file,
    window,
    samples: total,
    idlePct: Number(((100 * idle) / (total || 1)).toFixed(1)),
    selfTop: rows(self),
    inclusiveGateway: rows(inclusive),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, hits]) => ({ package: name, pct: Number(pct(hits).toFixed(2)) })),
  };
}

export function formatProfile(a) {
  const lines = [];
  const pad = (s, n) => String(s).padEnd(n);
  const scope = a.window ? 'measured run only' : 'whole process life';
  lines.push(`profile ${a.file} (${scope}): ${a.samples} samples, ${a.idlePct}% idle; % of non-idle samples`);
  lines.push('', `top ${a.selfTop.length} by self time:`);
  for (const r of a.selfTop) lines.push(`  ${r.pct.toFixed(2).padStart(6)}%  ${pad(r.function, 34)} ${r.location}`);
  lines.push('', 'self time by package:');
  for (const r of a.byPackage.slice(0, 12)) lines.push(`  ${r.pct.toFixed(2).padStart(6)}%  ${r.package}`);
  lines.push('', 'gateway functions by inclusive time (self + callees):');
  for (const r of a.inclusiveGateway)
    lines.push(`  ${r.pct.toFixed(2).padStart(6)}%  ${pad(r.function, 34)} ${r.location}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node bench/lib/profile.mjs <file.cpuprofile> [top]');
  process.stdout.write(`${formatProfile(analyzeProfile(file, Number(process.argv[3] ?? 15)))}\n`);
}
