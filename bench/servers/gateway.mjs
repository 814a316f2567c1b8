/**
 * The gateway under test, as production runs it: compiled dist/, file flags, prom-client metrics, and the access
 * log on (pino JSON, async, to a file so the terminal stays readable and the cost stays real).
 * Usage: node bench/servers/gateway.mjs <upstream-url> <flags-file> <access-log-file> [options-json]
 * options (for attributing costs; the defaults are the setting the table reports):
 *   log: 'file' (pino.destination, sync: false: one write per line when idle) | 'buffered' (production's batched
 *        destination: 16 KiB or 250 ms per write) |
 *        'sync' (sync: true: a write(2) on the main thread per line, no thread-pool hop) | 'off'
 *   publicUrl: the gateway's configured public origin (default: none, so its listen address, which has the same
 *              length as the upstream's and lets the body rewrite run inline without buffering)
 *   slowNewMs: the tickets.get new handler (ROUTE_TABLE's own) waits this long first (a slow new path: what shadow
 *              costs when the candidate is slower than legacy; the wait ends early when the run is aborted)
 *   failNew: the tickets.get new handler throws at once (a failing new path)
 *   cannedNew: the tickets.get new handler answers each ticket id with what its first call answered (after slowNewMs):
 *              a candidate whose own work costs this thread nothing, as if it ran elsewhere (for attributing the
 *              shadow's cost between the candidate and the rest of a run)
 *   rollback: false turns the automatic pin-back off (a failing shadowed path would otherwise be pinned to legacy
 *             after its first 200 comparisons, and the rest of the run would measure no shadow work at all)
 *   shadow: settings merged over the config's `shadow` section (e.g. { "maxRunsPerSecond": 0 }), for A/B runs
 *   timeline: a file written at shutdown with what happened when (epoch ms, for bench/timeline.mjs): every tickets.get
 *             new-handler call on the main thread [start, end] (candidates the comparison worker runs are not seen), every collection [start, ms, kind] and every event-loop gap over 3 ms
 *             seen by a 2 ms timer [at, ms]. Off by default (the timer costs a little).
 */
import { writeFileSync } from 'node:fs';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../../dist/src/config.js';
import { startGateway } from '../../dist/src/gateway.js';
import { createBatchedDestination, createLogger } from '../../dist/src/observability/logger.js';
import { announce, stopOnSignal } from './child-ipc.mjs';
import { benchRoutes, wrapTicketsGet } from './routes.mjs';

const [upstream, flagsFile, logFile, optionsJson] = process.argv.slice(2);
if (!upstream || !flagsFile || !logFile) throw new Error('usage: gateway.mjs <upstream-url> <flags-file> <log-file>');
const options = {
  log: 'buffered',
  publicUrl: '',
  slowNewMs: 0,
  failNew: false,
  cannedNew: false,
  rollback: true,
  ...JSON.parse(optionsJson ?? '{}'),
};
if (!['file', 'buffered', 'sync', 'off'].includes(options.log)) throw new Error(`unknown log mode ${options.log}`);

// clock: the monotonic clock (µs, what a --cpu-prof profile's timestamps count in) and epoch ms at the same moment.
const timeline = options.timeline
  ? {
      clock: [Number(process.hrtime.bigint() / 1000n), performance.timeOrigin + performance.now()],
      calls: [],
      gcs: [],
      gaps: [],
    }
  : null;
const epoch = (t) => Math.round((performance.timeOrigin + t) * 1000) / 1000;
if (timeline) {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR ? 'major' : 'minor';
      timeline.gcs.push([epoch(e.startTime), Math.round(e.duration * 1000) / 1000, kind]);
    }
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  setInterval(() => {
    const t = performance.now();
    if (t - last > 3) timeline.gaps.push([epoch(last), Math.round((t - last) * 1000) / 1000]);
    last = t;
  }, 2).unref();
}

/** The tickets.get new handler, its calls recorded on the timeline when one is kept. */
function timed(handler) {
  if (!timeline) return handler;
  return async (req, ctx) => {
    const t0 = performance.now();
    try {
      return await handler(req, ctx);
    } finally {
      timeline.calls.push([epoch(t0), epoch(performance.now())]);
    }
  };
}

/** The route table as shipped, or with the tickets.get handler delayed, failing or canned (bench/servers/routes.mjs). */
function routes() {
  const table = benchRoutes(options);
  return timeline ? wrapTicketsGet(table, timed) : table;
}

// env: {} so GATEWAY_* variables of the machine running the bench cannot change what is measured.
const config = loadConfig({
  env: {},
  overrides: {
    host: '127.0.0.1',
    port: 0,
    adminPort: 0,
    legacy: { url: upstream },
    flags: { file: flagsFile },
    log: { access: options.log !== 'off', level: 'info' },
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    ...(options.rollback ? {} : { rollback: { enabled: false } }),
    ...(options.shadow ? { shadow: options.shadow } : {}),
  },
});
// 'buffered' is production's own destination (batched lines, src/observability/logger.ts), written to a file.
const destination =
  options.log === 'buffered'
    ? createBatchedDestination({ dest: logFile })
    : pino.destination({ dest: logFile, sync: options.log === 'sync' });
const logger = createLogger({ level: 'info', destination });
const gw = await startGateway(config, { logger, routes: routes() });
announce({ url: gw.publicUrl, adminUrl: gw.adminUrl });
stopOnSignal(async () => {
  await gw.close();
  if (timeline) writeFileSync(options.timeline, JSON.stringify(timeline));
  try {
    destination.flushSync();
  } catch {
    // not open yet or already closed: nothing left to flush
  }
});
