import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './unleash-server.js';

/**
 * A throwaway redis-server of the test's own, on a free loopback port, with no persistence: for tests that kill Redis
 * (DESIGN §11: the machine's Redis on 6379 is never stopped by a test). `kill()` is a `kill -9`; `restart()` runs the
 * same command again on the same port (the data is gone: `--save "" --appendonly no`).
 */
export interface RedisServer {
  port: number;
  url: string;
  /** `kill -9` and wait for the exit. */
  kill(): Promise<void>;
  /** Starts the same command again (same port) and waits until it accepts connections. */
  restart(): Promise<void>;
  running(): boolean;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test process that dies must not leave redis-servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

export async function startRedisServer(opts: { port?: number } = {}): Promise<RedisServer> {
  installExitHook();
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  let proc: ChildProcess | null = null;

  async function spawnOnce(): Promise<void> {
    let output = '';
    const p = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    live.add(p);
    p.once('exit', () => live.delete(p));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`redis-server on port ${port} not ready after ${READY_TIMEOUT_MS} ms:\n${output}`));
      }, READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          p.stdout?.off('data', onData);
          p.stdout?.resume();
          resolve();
        }
      };
      p.stdout?.on('data', onData);
      p.stderr?.on('data', (c: Buffer) => {
        output += c.toString();
      });
      p.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const why =
          err.code === 'ENOENT'
            ? 'redis-server is not on PATH (Debian package redis-server; scripts/test-setup.sh installs it)'
            : `redis-server could not be started: ${err.message}`;
        reject(new Error(why, { cause: err }));
      });
      p.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server on port ${port} exited (code ${code}, signal ${signal}):\n${output}`));
      });
    });
  }

  async function kill(): Promise<void> {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  }

  await spawnOnce();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart() {
      await kill();
      await spawnOnce();
    },
    running: () => {
      const p = proc as ChildProcess | null;
      return p !== null && p.exitCode === null && p.signalCode === null;
    },
    close: kill,
  };
}
