/**
 * The comparison worker's entry: a worker thread that does a shadow run's synchronous work once both answers are in
 * (decode, compare on the contract, build and mask the diff record; noise samples), so that none of it runs on the
 * thread that serves clients. This file only lowers the thread's scheduling priority, then loads the comparison code
 * (./compare-worker-main.ts): static imports would load all of it (the route table's comparisons, contracts,
 * mappers, the phone-number metadata: a few hundred ms of CPU) before any line here runs, at the process's own
 * priority. Started by src/shadow/offload.ts, which has already reniced this thread by then, at gateway start-up
 * (src/gateway.ts): V8's helper threads still compile and collect for the new isolate at normal priority, which cost
 * client requests 9–25 ms loop stalls for about 1.5–2 s when the worker started beside traffic (bench/timeline.mjs,
 * 2026-11-27). See decision 20.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { workerData } from 'node:worker_threads';
import type { WorkerInit } from './compare-protocol.js';

const init = workerData as WorkerInit;
const priority = lowerPriority(init.nice);
const { serve } = await import('./compare-worker-main.js');
serve(init, priority);

/**
 * Linux lets a thread renice itself (its tid from /proc/thread-self; raising niceness needs no privilege), and move
 * itself to SCHED_IDLE (util-linux `chrt`, as node has no sched_setscheduler): a client request that wakes the main
 * thread then preempts this one at once, where under a nice value alone it could finish its time slice first.
 * Best effort: elsewhere the worker runs at the process's priority. Reports what it got.
 */
function lowerPriority(nice: number): { nice: number | null; idle: boolean } {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return { nice: null, idle: false };
    if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
  } catch {
    return { nice: null, idle: false };
  }
  const idle = spawnSync('chrt', ['--idle', '-p', '0', String(tid)], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  return { nice: os.getPriority(tid), idle };
}
