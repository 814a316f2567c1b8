/**
 * CPU accounting from /proc, per measured run: the CPU time each of our processes spent (so the table can show
 * CPU µs per request, which stays meaningful when the machine is shared), and how busy the server CPU was with
 * processes that are not ours (other people's test runs on the same machine skew every number; this says by how
 * much). Linux only; elsewhere every figure is null.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 1e6 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);

/** utime + stime of a process (all its threads), or of one of its threads (tid), in µs. */
function processUs(pid, tid = null) {
  try {
    const text = readFileSync(tid === null ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US; // fields 14 and 15 of proc(5), counted after "pid (comm) "
  } catch {
    return null;
  }
}

/** Busy and total µs of one CPU (busy = total − idle − iowait). */
function cpuUs(cpu) {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((s, x) => s + x, 0);
    return { busy: (total - v[3] - v[4]) * TICK_US, total: total * TICK_US };
  } catch {
    return null;
  }
}

/** Starts a measurement; the returned function ends it. pids: { server, upstream } (the same pid for `direct`). */
export function startCpuMeter(pids, serverCpu) {
  const uniq = [...new Set([pids.server, pids.upstream])];
  const before = new Map(uniq.map((p) => [p, processUs(p)]));
  // The main thread alone (JS, the event loop): the rest is V8's GC helpers and libuv's pool (file writes, DNS).
  const mainBefore = processUs(pids.server, pids.server);
  const cpuBefore = serverCpu === null ? null : cpuUs(serverCpu);
  return function stop(requests) {
    const d = (p) => {
      const now = processUs(p);
      return now === null || before.get(p) === null ? null : now - before.get(p);
    };
    const server = d(pids.server);
    const upstream = pids.upstream === pids.server ? server : d(pids.upstream);
    const mainNow = processUs(pids.server, pids.server);
    const main = mainNow === null || mainBefore === null ? null : mainNow - mainBefore;
    const out = {
      serverUsPerReq: server === null ? null : server / requests,
      serverMainUsPerReq: main === null ? null : main / requests,
      upstreamUsPerReq: upstream === null ? null : upstream / requests,
      foreignPct: null,
    };
    const cpuAfter = serverCpu === null ? null : cpuUs(serverCpu);
    if (cpuBefore && cpuAfter && server !== null && upstream !== null) {
      const ours = pids.upstream === pids.server ? server : server + upstream;
      const elapsed = cpuAfter.total - cpuBefore.total;
      // Only meaningful when the upstream shares the server's CPU (else its time is on another CPU).
      const sameCpu = pids.upstream === pids.server || pids.sharedCpu;
      const foreign = cpuAfter.busy - cpuBefore.busy - (sameCpu ? ours : server);
      out.foreignPct = elapsed > 0 ? Math.max(0, (100 * foreign) / elapsed) : null;
    }
    return out;
  };
}

/**
 * Each thread of a process (`pid`, or 'self') now: its name, niceness, and the scheduler's counters
 * (/proc/<pid>/task/<tid>/schedstat: ns on a CPU, ns waiting on a run queue, timeslices). Map tid → stats; empty
 * when the process is gone or there is no /proc. Threads that end while being read are left out.
 */
export function threadStats(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')
        .trim()
        .split(' ')
        .map(Number);
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { comm, nice, run, wait, slices });
    } catch {
      // the thread ended in between
    }
  }
  return out;
}

/**
 * A process's CPU per request since `before` (threadStats(pid) then), in µs: its main thread, and all its other
 * threads together (a gateway's comparison worker, V8's and libuv's helpers).
 */
export function cpuPerRequestSince(pid, before, requests) {
  let main = 0;
  let other = 0;
  for (const [tid, t] of threadStats(pid)) {
    const ns = t.run - (before.get(tid)?.run ?? 0);
    if (tid === String(pid)) main += ns;
    else other += ns;
  }
  const n = Math.max(1, requests);
  return { main: main / 1e3 / n, other: other / 1e3 / n };
}

/**
 * Waits until a CPU has been quiet (busy below `threshold` %) for `quietSeconds` in a row, at most `maxSeconds`: the
 * fleet's start-up (every gateway compiling, its comparison worker starting, its first collections) would otherwise
 * still run during the first round and slow whichever targets come first. Returns { seconds, busyPct } (the last
 * second's share), or null off Linux / unpinned.
 */
export async function settle(cpu, { threshold = 10, quietSeconds = 2, maxSeconds = 60 } = {}) {
  if (cpu === null || cpuUs(cpu) === null) return null;
  const started = Date.now();
  let quiet = 0;
  let busyPct = Number.NaN;
  while (Date.now() - started < maxSeconds * 1000) {
    const a = cpuUs(cpu);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const b = cpuUs(cpu);
    busyPct = (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
    quiet = busyPct < threshold ? quiet + 1 : 0;
    if (quiet >= quietSeconds) break;
  }
  return { seconds: (Date.now() - started) / 1000, busyPct };
}
