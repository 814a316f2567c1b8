import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../routes/table.js';
import type { NewHandler, RouteSpec } from '../../routes/types.js';
import { ADMIN_TOKEN, type Stack, startStack } from '../helpers/stack.js';

/**
 * Shadow work never delays, fails or changes the client's answer: the same load is sent with shadow off, then at
 * 100 % shadow on a new path that takes 5 s, then on one that throws. Every answer must be byte-identical to the
 * shadow-off run (latency cost is measured by `npm run bench`, never asserted here).
 */
const ticketsGet = ROUTE_TABLE.find((r) => r.slice === 'tickets.get') as RouteSpec;
const withHandler = (handler: NewHandler): RouteSpec[] => [
  { ...ticketsGet, handler },
  ...ROUTE_TABLE.filter((r) => r !== ticketsGet),
];
const slow: NewHandler = async (_req, ctx) => {
  await sleep(5_000, undefined, { signal: ctx.signal }).catch(() => {});
  throw new Error('too late');
};
const failing: NewHandler = async () => {
  throw new Error('candidate exploded');
};

async function load(stack: Stack, n: number, concurrency: number): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      const id = (i % 120) + 1;
      const res = await request(`${stack.gw.publicUrl}/api/v2/tickets/${id}.json`);
      const body = await res.body.text();
      const key = `${i}:${id}`;
      answers.set(key, `${res.statusCode} ${res.headers['content-type']} ${res.headers.etag} ${body}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return answers;
}

const strip = (m: Map<string, string>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));

describe('shadow under load', () => {
  let stack: Stack | null = null;
  afterEach(async () => {
    await stack?.close();
    stack = null;
  });

  for (const [name, handler, result] of [
    ['slow (5 s)', slow, 'candidate_timeout'],
    ['failing', failing, 'candidate_error'],
  ] as const) {
    it(`a ${name} new path at 100 % shadow changes no answer, is counted, and skips are counted by reason`, async () => {
      stack = await startStack({
        routes: withHandler(handler),
        overrides: { shadow: { maxConcurrent: 8, deadlineMs: 400, noise: { secondary: false } } },
      });
      const off = await load(stack, 300, 16);
      stack.shadow('tickets.get', true);
      await stack.waitFor(() => stack?.gw.deps.flags.slice('tickets.get').stage === 'shadow');
      const on = await load(stack, 300, 16);
      expect(strip(on)).toEqual(strip(off));
      expect([...on.values()].every((v) => v.startsWith('200 '))).toBe(true);
      await stack.gw.deps.shadow.drain();
      const compared = await stack.metric('gateway_shadow_comparisons_total', { slice: 'tickets.get', result });
      const skipped = await stack.metric('gateway_shadow_skipped_total', {
        slice: 'tickets.get',
        reason: 'concurrency',
      });
      expect(compared).toBeGreaterThan(0);
      // Every shadow-selected request was either compared or counted as skipped.
      expect(compared + skipped).toBe(300);
      const page = await request(`${stack.gw.adminUrl}/admin/diffs?slice=tickets.get&result=${result}&limit=5`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const json = (await page.body.json()) as { items: Array<{ result: string; error?: string }> };
      expect(json.items.length).toBe(5);
      expect(json.items.every((r) => r.result === result)).toBe(true);
    });
  }

  it('the real handler matches legacy for every ticket (contract-aware comparison: match)', async () => {
    stack = await startStack({ overrides: { shadow: { noise: { secondary: false } } } });
    stack.shadow('tickets.get', true);
    await stack.waitFor(() => stack?.gw.deps.flags.slice('tickets.get').stage === 'shadow');
    await load(stack, 120, 8);
    await stack.gw.deps.shadow.drain();
    const matched = await stack.metric('gateway_shadow_comparisons_total', { slice: 'tickets.get', result: 'match' });
    const skipped = await stack.metric('gateway_shadow_skipped_total', { slice: 'tickets.get', reason: 'concurrency' });
    expect(matched + skipped).toBe(120);
    expect(matched).toBeGreaterThan(100);
    const summary = (await (
      await request(`${stack.gw.adminUrl}/admin/diffs/summary?slice=tickets.get`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).body.json()) as { slices: Array<{ slice: string; total: number; mismatchRate: number | null }> };
    expect(summary.slices[0]).toMatchObject({ slice: 'tickets.get', total: matched, mismatchRate: 0 });
  });
});
