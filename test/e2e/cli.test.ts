import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { type CliProcess, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
const running: CliProcess[] = [];
afterAll(() => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

function freePortHeld(): Promise<net.Server> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => resolve(srv));
  });
}

describe('gateway CLI', () => {
  it('check lists every config problem with its path and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'port: 99999\nlegacy:\n  url: not-a-url\n  connectTimeoutMs: -5\nflags:\n  unleashUrl: 12\nbogus: true\n',
    );
    const p = runCli(['check', '--config', file]);
    const { code } = await p.exited;
    expect(code).toBe(2);
    for (const path of ['port:', 'legacy.url:', 'legacy.connectTimeoutMs:', 'flags.unleashUrl:', 'bogus'])
      expect(p.stderr()).toContain(path);
  });

  it('check accepts a valid config and prints it with secrets redacted', async () => {
    const file = join(dir, 'good.json');
    writeFileSync(
      file,
      JSON.stringify({
        port: 9000,
        admin: { tokens: [{ token: 'super-secret-token-123', role: 'sre', name: 'oncall' }] },
      }),
    );
    const p = runCli(['check', '--config', file]);
    expect((await p.exited).code).toBe(0);
    expect(p.stdout()).toContain('configuration ok');
    expect(p.stdout()).not.toContain('super-secret-token-123');
  });

  it('start with an invalid config never opens a socket: exit 2 before listening', async () => {
    const held = await freePortHeld();
    const port = (held.address() as net.AddressInfo).port;
    // If the gateway tried to listen first it would fail with EADDRINUSE (exit 1), not with the config problem.
    const p = runCli(['start'], {
      env: { GATEWAY_PORT: String(port), GATEWAY_LEGACY_URL: 'ftp:/broken', GATEWAY_ADMIN_PORT: 'abc' },
    });
    const { code } = await p.exited;
    held.close();
    expect(code).toBe(2);
    expect(p.stderr()).toContain('adminPort');
    expect(p.stderr()).not.toContain('EADDRINUSE');
  });

  it('start serves traffic and drains an in-flight request on SIGTERM', async () => {
    const sim: Simulator = await startSimulator({ port: 0 });
    try {
      const p = runCli(['start'], { env: { GATEWAY_PORT: '0', GATEWAY_ADMIN_PORT: '0', GATEWAY_LEGACY_URL: sim.url } });
      running.push(p);
      const line = await p.waitForLine((l) => l.includes('gateway listening'));
      const { public: pub, admin } = JSON.parse(line) as { public: string; admin: string };
      expect((await request(`${admin}/readyz`)).statusCode).toBeGreaterThan(0);
      const ok = await request(`${pub}/api/v2/users/1.json`);
      expect(ok.statusCode).toBe(200);
      await ok.body.dump();
      // A slow streaming response is in flight when SIGTERM arrives: it must complete.
      const inflight = await request(`${pub}/api/v2/stream/events?count=6&interval_ms=150`);
      p.child.kill('SIGTERM');
      const text = await inflight.body.text();
      expect(text.trim().split('\n')).toHaveLength(6);
      expect((await p.exited).code).toBe(0);
      expect(p.stdout()).toContain('gateway stopped');
    } finally {
      await sim.close();
    }
  });

  it('demo starts the simulator and the gateway, prints what to try, and the flags command moves the slice', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gw-demo-'));
    const p = runCli(['demo'], {
      cwd,
      env: { GATEWAY_PORT: '0', GATEWAY_ADMIN_PORT: '0', GATEWAY_LEGACY_URL: 'http://127.0.0.1:0' },
    });
    running.push(p);
    await p.waitForLine((l) => l.includes('Ctrl-C stops both'));
    const guide = p.stderr();
    const pub = /Gateway \(public\)\s+(\S+)/.exec(guide)?.[1] as string;
    const admin = /Gateway \(admin\)\s+(\S+)/.exec(guide)?.[1] as string;
    const token = /Admin token\s+(\S+)/.exec(guide)?.[1] as string;
    expect(guide).toContain('curl');
    const list = await request(`${pub}/api/v2/tickets.json?per_page=2`);
    const body = (await list.body.json()) as { next_page: string };
    expect(body.next_page.startsWith(`${pub}/`)).toBe(true);

    const set = runCli(['flags', 'set', 'tickets.get', 'serve', '30', '--file', '.gateway-demo/flags.json'], { cwd });
    expect((await set.exited).code).toBe(0);
    const slices = async () =>
      (await (
        await request(`${admin}/admin/slices`, { headers: { authorization: `Bearer ${token}` } })
      ).body.json()) as {
        slices: { id: string; stage: string }[];
      };
    const until = Date.now() + 3_000;
    while ((await slices()).slices[0]?.stage !== 'canary' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect((await slices()).slices[0]?.stage).toBe('canary');
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });
});
