import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { ROUTE_TABLE } from '../../routes/table.js';
import type { RouteSpec } from '../../routes/types.js';
import type { DiffPage } from '../../src/shadow/types.js';
import { alteredSubject, type StampingLegacy, startStampingLegacy } from '../helpers/noise.js';
import { ADMIN_TOKEN, type Stack, startStack } from '../helpers/stack.js';

/**
 * Noise cancellation end to end. A legacy that stamps `updated_at` anew on every answer (as many do) sits in front of
 * the simulator. With secondary legacy calls on, the gateway learns that `updatedAt` differs between two legacy
 * answers and shows it apart; a real difference (the candidate changes the subject of tickets ≥ 100) stays real.
 */
let upstream: StampingLegacy;
let sim: Simulator;
let stack: Stack;

const ticketsGet = ROUTE_TABLE.find((r) => r.slice === 'tickets.get') as RouteSpec;

async function admin<T>(path: string): Promise<T> {
  const res = await request(`${stack.gw.adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (await res.body.json()) as T;
}

async function read(ids: number[]): Promise<void> {
  for (const id of ids) {
    const res = await request(`${stack.gw.publicUrl}/api/v2/tickets/${id}.json`);
    await res.body.text();
    await stack.gw.deps.shadow.drain();
  }
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  upstream = await startStampingLegacy(sim.url);
  stack = await startStack({
    routes: [{ ...ticketsGet, handler: alteredSubject }, ...ROUTE_TABLE.filter((r) => r !== ticketsGet)],
    overrides: {
      legacy: { url: upstream.url },
      // The candidate reads legacy itself: with primed reads (test/shadow/primed-reads.test.ts) it would read the
      // client's answer, and no stamp would differ between the two sides.
      shadow: { primedReads: false, noise: { secondary: true, warmup: 1_000, minSamples: 5, minRate: 0.2 } },
    },
  });
  stack.shadow('tickets.get', true);
  await stack.waitFor(() => stack.gw.deps.flags.slice('tickets.get').stage === 'shadow');
}, 30_000);

afterAll(async () => {
  await stack?.close();
  await sim?.close();
  await upstream?.close();
});

describe('noise learning through the gateway', () => {
  it('learns a field that changes on every legacy call after N samples, and shows it apart', async () => {
    await read([1, 2, 3, 4]);
    let noise = await admin<{ items: Array<{ path: string; status: string; samples: number }> }>('/admin/noise');
    expect(noise.items.find((e) => e.path === 'updatedAt')?.status).toBe('learning');
    await read([6, 7]);
    noise = await admin('/admin/noise');
    const e = noise.items.find((x) => x.path === 'updatedAt');
    expect(e?.status).toBe('learned');
    expect(e?.samples).toBeGreaterThanOrEqual(5);
    expect(noise.items.map((x) => x.path)).not.toContain('subject');

    await read([8, 9]);
    const page = await admin<DiffPage>('/admin/diffs?slice=tickets.get&limit=2');
    for (const r of page.items) {
      expect(r.result).toBe('match');
      expect(r.noise.map((d) => d.path)).toContain('updatedAt');
      expect(r.noise.every((d) => d.noise === 'learned')).toBe(true);
    }
  });

  it('keeps a real mismatch real while noise is filtered out of it', async () => {
    await read([101, 102, 103]);
    // The newest three: the first reads (before updatedAt was learned) were mismatches on updatedAt alone.
    const page = await admin<DiffPage>('/admin/diffs?slice=tickets.get&result=value_mismatch&limit=3');
    expect(page.items).toHaveLength(3);
    for (const r of page.items) {
      expect(r.fields.map((d) => d.path)).toEqual(['subject']);
      expect(r.noise.map((d) => d.path)).toContain('updatedAt');
    }
    const byField = await admin<DiffPage>('/admin/diffs?slice=tickets.get&field=subject');
    expect(byField.items.map((r) => r.path).sort()).toEqual([
      '/api/v2/tickets/101.json',
      '/api/v2/tickets/102.json',
      '/api/v2/tickets/103.json',
    ]);
    const learning = await admin<DiffPage>('/admin/diffs?slice=tickets.get&field=updatedAt');
    expect(learning.items.length).toBeGreaterThan(0);
    expect(learning.items.every((r) => Date.parse(r.at) < Date.parse(page.items[2]?.at ?? ''))).toBe(true);
  });

  it('QA rejects the learned noise: updatedAt differences count again, audited', async () => {
    const res = await request(`${stack.gw.adminUrl}/admin/noise/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ slice: 'tickets.get', path: 'updatedAt', action: 'reject', reason: 'must be stable' }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.json();
    await read([10]);
    const page = await admin<DiffPage>('/admin/diffs?slice=tickets.get&limit=1');
    expect(page.items[0]?.result).toBe('value_mismatch');
    expect(page.items[0]?.fields.map((d) => d.path)).toEqual(['updatedAt']);
    const audit = await admin<{ entries: Array<{ action: string; note?: string }> }>('/admin/audit?limit=5');
    expect(audit.entries[0]).toMatchObject({ action: 'noise.reject', note: 'updatedAt' });
  });
});
