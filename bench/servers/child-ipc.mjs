/**
 * The child side of the bench's process protocol: announce readiness over IPC, stop gracefully on SIGTERM/SIGINT or
 * a `stop` message (so `--cpu-prof` gets to write its profile), die with the parent (IPC disconnect), and report
 * memory, event-loop delay and garbage collections over a measured window (`window-start` / `window-end` messages
 * from the parent).
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** Timer period of the event-loop delay monitor; the histogram holds period + delay, so it is subtracted. */
const ELD_RESOLUTION_MS = 10;
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
eld.enable();

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

/** RSS, heap, event-loop delay (ms beyond the timer period) and collections since the last `window-start`. */
export function windowStats() {
  const m = process.memoryUsage();
  const out = {
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    eld: eld.count
      ? { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), samples: eld.count }
      : null,
    gc: { ...gc },
  };
  return out;
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
      resetGc();
      process.send?.({ type: 'window-started', id: m.id });
    } else if (m?.type === 'window-end' || m?.type === 'sample') {
      // `collect`: a full collection first (node runs with --expose-gc), so the figures are what is live, not what
      // is garbage waiting for the next mark-compact.
      if (m.collect && typeof globalThis.gc === 'function') globalThis.gc();
      process.send?.({ type: 'window', id: m.id, ...windowStats() });
      if (m.type === 'sample' && m.reset) {
        eld.reset();
        resetGc();
      }
    }
  });
  // The orchestrator is gone (crashed or killed): never outlive it.
  process.on('disconnect', () => stop(1));
}
