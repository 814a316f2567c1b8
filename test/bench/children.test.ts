import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error bench code is plain ESM without types
import { killAll, startServer } from '../../bench/lib/children.mjs';

/**
 * The bench freezes the servers it is not measuring (SIGSTOP, decision 25). A frozen child must still end on every
 * exit path: a stopped process does not act on SIGTERM until it is continued.
 */
const UPSTREAM = fileURLToPath(new URL('../../bench/servers/upstream.mjs', import.meta.url));

/** The process state letter from /proc (T: stopped), or null once it is gone. */
function state(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe.skipIf(process.platform !== 'linux')('bench children: freeze and thaw', () => {
  it('freeze stops the child, thaw continues it, and stop() ends a frozen child', async () => {
    const h = await startServer({ name: 'upstream', script: UPSTREAM, cpu: null });
    h.freeze();
    expect(h.frozen).toBe(true);
    expect(await until(() => state(h.pid) === 'T')).toBe(true);
    h.thaw();
    expect(await until(() => state(h.pid) !== 'T')).toBe(true);
    expect((await fetch(`${h.url}/api/v2/tickets/1.json`)).status).toBe(200);
    h.freeze();
    expect(await until(() => state(h.pid) === 'T')).toBe(true);
    const { code, signal } = await h.stop(3_000);
    // Ended by its own SIGTERM handler (exit 0), not by the SIGKILL fallback.
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('killAll ends frozen children too', async () => {
    const h = await startServer({ name: 'upstream', script: UPSTREAM, cpu: null });
    h.freeze();
    expect(await until(() => state(h.pid) === 'T')).toBe(true);
    await killAll(3_000);
    expect(await until(() => state(h.pid) === null || state(h.pid) === 'Z')).toBe(true);
    expect(h.crashed).toMatch(/signal SIGTERM|code 0/);
  }, 30_000);
});
