import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffPage, DiffSummary } from '../../src/shadow/types.js';
import { ADMIN_TOKEN, type Stack, startStack } from '../helpers/stack.js';

/**
 * Dry-run writes: shadowing ticket creates never writes twice. Legacy serves (and writes) each create once; the new
 * path runs against dry-run adapters that record what it would have written, and that intended effect is compared
 * with the effect legacy applied.
 */
let stack: Stack;

async function admin<T>(path: string): Promise<T> {
  const res = await request(`${stack.gw.adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (await res.body.json()) as T;
}

beforeAll(async () => {
  stack = await startStack({ overrides: { shadow: { maxConcurrent: 64, store: { cap: 1_000 } } } });
  stack.shadow('tickets.create', true);
  stack.shadow('customers.address', true);
  await stack.waitFor(() => stack.gw.deps.flags.slice('tickets.create').stage === 'shadow');
  await stack.waitFor(() => stack.gw.deps.flags.slice('customers.address').stage === 'shadow');
});
afterAll(async () => {
  await stack?.close();
});

describe('shadowed writes run dry', () => {
  it('100 shadowed ticket creates: 100 legacy writes, 0 extra, 100 intended-effect comparisons', async () => {
    const writesBefore = stack.sim.writes().length;
    for (let i = 0; i < 100; i++) {
      const res = await request(`${stack.gw.publicUrl}/api/v2/tickets.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `create-${i}` },
        body: JSON.stringify({
          ticket: {
            subject: `Parcel ${i} is late`,
            comment: { body: `Order A-10${String(i % 40).padStart(2, '0')} has not arrived.` },
            priority: i % 2 ? 'high' : 'normal',
            requester_id: (i % 25) + 1,
            tags: ['shipping', `batch-${i % 3}`],
          },
        }),
      });
      expect(res.statusCode).toBe(201);
      expect(res.headers['x-gateway-served-by']).toBe('legacy');
      await res.body.text();
    }
    await stack.gw.deps.shadow.drain();
    const writes = stack.sim.writes().slice(writesBefore);
    expect(writes.filter((w) => w.key.startsWith('ticket.create:'))).toHaveLength(100);
    expect(writes).toHaveLength(100);
    expect(stack.sim.duplicateWrites()).toBe(0);

    const summary = await admin<DiffSummary>('/admin/diffs/summary?slice=tickets.create');
    expect(summary.slices[0]?.total).toBe(100);
    const page = await admin<DiffPage>('/admin/diffs?slice=tickets.create&limit=100');
    expect(page.items).toHaveLength(100);
    for (const r of page.items) {
      expect(r.legacy.effects).toHaveLength(1);
      expect(r.candidate.effects).toHaveLength(1);
      expect(r.candidate.effects?.[0]).toMatchObject({ system: 'ticketing', operation: 'ticket.create', target: null });
      expect(r.legacy.effects?.[0]?.operation).toBe('ticket.create');
    }
    // The new path would write what legacy wrote.
    expect(summary.slices[0]?.byResult.match).toBe(100);
  });

  it('a shadowed address change is applied once by legacy and recorded as an intended CRM write', async () => {
    const before = stack.sim.writes().length;
    const res = await request(`${stack.gw.publicUrl}/crm/customers/10005/address`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'addr-1' },
      body: JSON.stringify({
        ADDRESS: { STREET: 'Hauptstr. 5', CITY: 'Stuttgart', ZIP_CD: '70173', COUNTRY_CD: 'DE' },
      }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await stack.gw.deps.shadow.drain();
    expect(
      stack.sim
        .writes()
        .slice(before)
        .map((w) => w.key),
    ).toEqual(['crm.address:10005']);
    const page = await admin<DiffPage>('/admin/diffs?slice=customers.address&limit=1');
    expect(page.items[0]?.candidate.effects?.[0]).toMatchObject({
      system: 'crm',
      operation: 'crm.address',
      target: '10005',
    });
    expect(page.items[0]?.result).toBe('match');
  });
});
