/**
 * Child processes of the bench: every server and every load-generator run is a child, optionally pinned to one CPU
 * with `taskset -c` (taskset execs, so the child's pid is node's or wrk's own). All live children are tracked so
 * that any exit path of the orchestrator (done, error, SIGINT) can end them, by pid, and only them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set();

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/** Wraps a command with `taskset -c <cpu>`; cpu null = not pinned. */
export function pinned(cpu, cmd, args) {
  return cpu === null ? [cmd, args] : ['taskset', ['-c', String(cpu), cmd, ...args]];
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
 * The returned handle reports RSS from /proc and stops the child gracefully (so --cpu-prof can write its file).
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
  handle.rss = () => procStatus(child.pid);
  handle.stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const res = await exited;
    clearTimeout(timer);
    return res;
  };
  return handle;
}

/** VmRSS and VmHWM (peak) in bytes, from /proc; null where /proc is not there. */
function procStatus(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
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
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(waits);
}
