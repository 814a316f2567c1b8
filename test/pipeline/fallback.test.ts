import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ticketFromLegacy } from '../../mappers/ticket.js';
import { ROUTE_TABLE } from '../../routes/table.js';
import { getTicket } from '../../routes/tickets-get.js';
import type { NewHandler, RouteSpec } from '../../routes/types.js';
import { ADMIN_TOKEN, get, type Stack, startStack } from '../helpers/stack.js';

type Fault = 'none' | 'throw' | 'timeout' | 'status_5xx' | 'invalid_contract' | 'commit_then_throw';
let fault: Fault = 'none';
let handlerCalls = 0;

/** The real tickets.get handler, with faults injected in front of it. */
const faulty: NewHandler = async (req, ctx) => {
  handlerCalls++;
  switch (fault) {
    case 'throw':
      throw new Error('boom');
    case 'timeout':
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    case 'status_5xx':
      return { status: 503, headers: { 'content-type': 'application/json' }, body: '{"error":"unavailable"}' };
    case 'invalid_contract':
      // A legacy payload that breaks the contract: the real mapper rejects it.
      ticketFromLegacy({ id: 'not-a-number', status: 'mystery' });
      throw new Error('unreachable');
    case 'commit_then_throw':
      ctx.commit();
      throw new Error('failed after a side effect');
    default:
      return getTicket(req, ctx);
  }
};

const spec = ROUTE_TABLE.find((r) => r.id === 'tickets.get') as RouteSpec;
const routes: RouteSpec[] = [{ ...spec, handler: faulty, deadlineMs: 150 }];

let s: Stack;
beforeAll(async () => {
  s = await startStack({
    routes,
    overrides: {
      pipeline: {
        breaker: { minimumRequests: 8, errorThresholdPercent: 50, openMs: 400, windowMs: 10_000, buckets: 10 },
      },
    },
  });
  s.serve('tickets.get', 100);
  await s.waitFor(async () => (await get(`${s.gw.publicUrl}/api/v2/tickets/1.json`)).servedBy === 'new');
});
afterAll(async () => {
  await s.close();
});
beforeEach(() => {
  fault = 'none';
});

const url = (id = 5) => `${s.gw.publicUrl}/api/v2/tickets/${id}.json`;
const legacyBody = async (id = 5) =>
  (await get(`${s.sim.url}/api/v2/tickets/${id}.json`)).body.replaceAll(s.sim.url, s.gw.publicUrl);

describe('fallback to legacy', () => {
  for (const [f, reason] of [
    ['throw', 'error'],
    ['timeout', 'timeout'],
    ['status_5xx', 'status_5xx'],
    ['invalid_contract', 'contract_invalid'],
  ] as const) {
    it(`gives the client legacy's answer when the new handler fails (${f} → ${reason})`, async () => {
      const before = await s.metric('gateway_fallbacks_total', { slice: 'tickets.get', reason });
      const legacyRequestsBefore = s.sim.requests().length;
      fault = f;
      const r = await get(url());
      expect(r.status).toBe(200);
      expect(r.servedBy).toBe('legacy');
      expect(r.reason).toBe(reason);
      expect(r.body).toBe(await legacyBody());
      expect(await s.metric('gateway_fallbacks_total', { slice: 'tickets.get', reason })).toBe(before + 1);
      expect(
        await s.metric('gateway_requests_total', { slice: 'tickets.get', served_by: 'legacy', outcome: 'fallback' }),
      ).toBeGreaterThan(0);
      // Legacy saw the fallback request (and, for handlers that got that far, the adapter's call).
      expect(s.sim.requests().length).toBeGreaterThan(legacyRequestsBefore);
      fault = 'none';
      // Let the breaker forget this failure before the next case.
      for (let i = 0; i < 3; i++) expect((await get(url())).servedBy).toBe('new');
    });
  }

  it('answers with an error instead of falling back once the new path made a side effect', async () => {
    fault = 'commit_then_throw';
    const before = s.sim.requests().length;
    const r = await get(url());
    expect(r.status).toBe(500);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GW_HANDLER_ERROR', status: 500 });
    expect(s.sim.requests().length).toBe(before); // legacy was not asked to do it again
  });

  it('opens the breaker under repeated failures, then recovers through a half-open probe', async () => {
    const view = async () =>
      (await fetch(`${s.gw.adminUrl}/admin/slices/tickets.get`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      }).then((r) => r.json())) as { breaker: { state: string } };
    expect((await view()).breaker.state).toBe('closed');
    fault = 'throw';
    let opened = false;
    for (let i = 0; i < 40 && !opened; i++) {
      const r = await get(url());
      expect(r.status).toBe(200);
      expect(r.servedBy).toBe('legacy');
      opened = r.reason === 'breaker_open';
    }
    expect(opened).toBe(true);
    expect(await s.metric('gateway_breaker_state', { slice: 'tickets.get' })).toBe(2);
    expect((await view()).breaker.state).toBe('open');
    const callsWhileOpen = handlerCalls;
    const r = await get(url());
    expect(r.reason).toBe('breaker_open');
    expect(handlerCalls).toBe(callsWhileOpen); // open: the new path is not even tried
    fault = 'none';
    await s.waitFor(async () => (await get(url())).servedBy === 'new', 3_000);
    expect(await s.metric('gateway_breaker_state', { slice: 'tickets.get' })).toBe(0);
    expect(await s.metric('gateway_fallbacks_total', { slice: 'tickets.get', reason: 'breaker_open' })).toBeGreaterThan(
      0,
    );
  });
});
