/**
 * Child processes of the bench: every server and every load-generator run is a child, optionally pinned to one CPU
 * with `taskset -c` (taskset execs, so the child's pid is node's or wrk's own). All live children are tracked so
 * that any exit path of the orchestrator (done, error, SIGINT) can end them, by pid, and only them.
 */
import { spawn, spawnSync } from 'node:child_process';

const live = new Set();

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The checkout's revision for the results (`git describe --always --dirty`: `-dirty` when a tracked file differs
 * from the commit as the run starts, e.g. docs edited while it does).
 */
export function gitRevision(cwd) {
  return spawnSync('git', ['describe', '--always', '--dirty'], { cwd, encoding: 'utf8' }).stdout.trim();
}

/**
 * BENCH_NICE (e.g. -10, root only): every bench process runs at that niceness, so that other work on a shared
 * machine takes a smaller share of the pinned CPUs during the measurement (CFS weights: -10 is ~9× the default).
 */
const NICE = process.env.BENCH_NICE ? String(Number.parseInt(process.env.BENCH_NICE, 10)) : null;
if (NICE === 'NaN') throw new Error(`BENCH_NICE must be an integer, got "${process.env.BENCH_NICE}"`);
export const niceness = NICE === null ? null : Number(NICE);

/** Wraps a command with `taskset -c <cpu>` (cpu null = not pinned) and `nice -n BENCH_NICE`; both exec, same pid. */
export function pinned(cpu, cmd, args) {
  const [c, a] = cpu === null ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
  return NICE === null ? [c, a] : ['nice', ['-n', NICE, c, ...a]];
}

export function spawnTracked(cmd, args, opts) {
  const child = spawn(cmd, args, opts);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

/** Runs a command to completion, capturing stdout; kills it (and rejects) past timeoutMs. */
export function runCaptured(cmd, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no result after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
}

/**
 * Starts a node server script in its own process and waits for its `ready` IPC message ({ url, ... }).
 * The returned handle asks the child for its RSS and event-loop delay over a window (bench/servers/child-ipc.mjs:
 * `windowStart()` … `windowEnd()`, or `sample()` which also starts the next window) and stops the child gracefully
 * (so --cpu-prof can write its file).
 */
export async function startServer({ name, script, args = [], cpu, nodeArgs = [], readyTimeoutMs = 30_000 }) {
  const [cmd, argv] = pinned(cpu, process.execPath, [...nodeArgs, script, ...args]);
  const child = spawnTracked(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle = { name, pid: child.pid, cpu, crashed: null, info: null };
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let stopping = false;
  child.once('exit', (code, signal) => {
    if (!stopping) handle.crashed = `exited unexpectedly (code ${code}, signal ${signal})`;
  });
  handle.info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    child.on('message', (m) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before it was ready (code ${code}, signal ${signal})`));
    });
  });
  handle.url = handle.info.url;
  let nextId = 0;
  const ask = (type, extra = {}, timeoutMs = 5_000) =>
    new Promise((resolve) => {
      const id = ++nextId;
      const reply = { 'window-start': 'window-started', 'heap-profile': 'heap-profiled' }[type] ?? 'window';
      const timer = setTimeout(() => done(null), timeoutMs);
      const onMessage = (m) => {
        if (m?.type === reply && m.id === id) done(m);
      };
      function done(m) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m);
      }
      child.on('message', onMessage);
      if (!child.connected) return done(null);
      child.send({ type, id, ...extra });
    });
  /** Resets the child's event-loop delay histogram. */
  handle.windowStart = () => ask('window-start');
  /** { rss, heapUsed, external (bytes), eld: { p50, p99, max (ms), samples } } since windowStart; null if gone. */
  handle.windowEnd = () => ask('window-end');
  /**
   * Like windowEnd, and starts the next window (soak sampling). `collect`: the child runs a full collection first
   * (when it was started with --expose-gc; otherwise it measures as it is).
   */
  handle.sample = ({ collect = false } = {}) => ask('sample', { reset: true, ...(collect ? { collect } : {}) });
  /**
   * V8's sampling heap profiler in the child for `ms`, written to `file` (a .heapprofile DevTools opens): the
   * allocations still alive at the end, which in a window without a full collection includes what was promoted to
   * the old generation and died there (young-generation garbage is left out). `all`: every sampled allocation,
   * collected or not.
   */
  handle.heapProfile = (ms, file, { all = false } = {}) => ask('heap-profile', { ms, file, all }, ms + 10_000);
  /**
   * Freezes the child (SIGSTOP) while another server is measured, and thaws it (SIGCONT). A frozen child runs none of
   * its timers, collections or leftover work on the CPU the measured server shares with it.
   */
  handle.frozen = false;
  handle.freeze = () => {
    if (handle.frozen || child.exitCode !== null || child.signalCode !== null) return;
    handle.frozen = child.kill('SIGSTOP');
  };
  handle.thaw = () => {
    if (!handle.frozen) return;
    handle.frozen = false;
    child.kill('SIGCONT');
  };
  handle.stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    stopping = true;
    handle.thaw();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const res = await exited;
    clearTimeout(timer);
    return res;
  };
  return handle;
}

/** Ends every child still running: SIGTERM, then SIGKILL after graceMs. */
export async function killAll(graceMs = 3_000) {
  const waits = [...live].map(
    (child) =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        // A server the bench froze (SIGSTOP) would only act on SIGTERM once continued.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(waits);
}
