/**
 * The child side of the bench's process protocol: announce readiness over IPC, stop gracefully on SIGTERM/SIGINT or
 * a `stop` message (so `--cpu-prof` gets to write its profile), die with the parent (IPC disconnect), and report
 * memory, event-loop delay and garbage collections over a measured window (`window-start` / `window-end` messages
 * from the parent).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * Timer period of the event-loop delay monitor; the histogram holds period + delay, so it is subtracted. The monitor
 * runs only inside a measured window: its timer wakes the process 100 times a second, and in the full bench's fleet
 * (a dozen servers on the CPU of the one measured) the idle servers' wake-ups took ~4 ms/s each of that CPU
 * (measured 2026-11-29: every idle server woke 100–110 times a second and spent 3.2–4.6 ms/s on it).
 */
const ELD_RESOLUTION_MS = 10;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });

const ms = (ns) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);

/**
 * Collections since the window started: full (mark-sweep-compact) and young-generation, count and pause ms as node
 * reports them (`gc` performance entries; a full collection's incremental marking steps are not in its pause).
 */
const gc = {};
const resetGc = () => Object.assign(gc, { major: 0, majorMs: 0, minor: 0, minorMs: 0 });
resetGc();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = e.detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.major++;
      gc.majorMs += e.duration;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      gc.minor++;
      gc.minorMs += e.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });

/** Anonymous resident memory of the process (bytes: the heaps of all its isolates, malloc), or null without /proc. */
function anonymousBytes() {
  try {
    const kb = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** Committed bytes of the main isolate's old and new spaces. */
function committedSpaces() {
  const spaces = v8.getHeapSpaceStatistics();
  const size = (name) => spaces.find((x) => x.space_name === name)?.space_size ?? null;
  return { old: size('old_space'), new: size('new_space') };
}

/** RSS, heap, event-loop delay (ms beyond the timer period) and collections since the last `window-start`. */
export function windowStats() {
  const m = process.memoryUsage();
  const out = {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    committed: committedSpaces(),
    anonymous: anonymousBytes(),
    eld: eld.count
      ? { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), samples: eld.count }
      : null,
    gc: { ...gc },
  };
  return out;
}

/**
 * Samples allocations every 8 KiB for `ms` and writes them to `file`: what is still alive at the end, or with `all`
 * every sampled allocation, collected or not (where a request's garbage comes from).
 */
async function heapProfile(ms, file, all = false) {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 8192,
      ...(all ? { includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } : {}),
    });
    await new Promise((r) => setTimeout(r, ms));
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
  } finally {
    session.disconnect();
  }
}

export function announce(info) {
  if (process.send) process.send({ type: 'ready', pid: process.pid, ...info });
  else process.stdout.write(`${JSON.stringify({ type: 'ready', pid: process.pid, ...info })}\n`);
}

export function stopOnSignal(close) {
  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(code), 5_000);
    hard.unref();
    Promise.resolve()
      .then(close)
      .catch((err) => process.stderr.write(`close failed: ${err?.stack ?? err}\n`))
      .finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('message', (m) => {
    if (m?.type === 'stop') stop(0);
    else if (m?.type === 'window-start') {
      eld.reset();
      eld.enable();
      resetGc();
      process.send?.({ type: 'window-started', id: m.id });
    } else if (m?.type === 'heap-profile') {
      heapProfile(m.ms, m.file, m.all === true).then(
        () => process.send?.({ type: 'heap-profiled', id: m.id, file: m.file }),
        (err) => process.send?.({ type: 'heap-profiled', id: m.id, error: String(err) }),
      );
    } else if (m?.type === 'window-end' || m?.type === 'sample') {
      // `collect`: a full collection first (node runs with --expose-gc), so the figures are what is live, not what
      // is garbage waiting for the next mark-compact.
      if (m.collect && typeof globalThis.gc === 'function') globalThis.gc();
      process.send?.({ type: 'window', id: m.id, ...windowStats() });
      // A window ends; a sample leaves it running (the soak samples one window in slices).
      if (m.type === 'window-end') eld.disable();
      if (m.type === 'sample' && m.reset) {
        eld.reset();
        resetGc();
      }
    }
  });
  // The orchestrator is gone (crashed or killed): never outlive it.
  process.on('disconnect', () => stop(1));
}
