import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConversationsAdapter } from '../../legacy-adapters/conversations.js';
import { createCrmAdapter } from '../../legacy-adapters/crm.js';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { createOrdersAdapter } from '../../legacy-adapters/orders-soap.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { createTicketingAdapter } from '../../legacy-adapters/ticketing.js';
import { createTicketingUsersAdapter } from '../../legacy-adapters/ticketing-users.js';
import { customerFromLegacy } from '../../mappers/customer.js';
import { ticketFromLegacy } from '../../mappers/ticket.js';
import {
  CUSTOMERS_ADDRESS_COMPARISON,
  TICKETS_CREATE_COMPARISON,
  TICKETS_GET_COMPARISON,
  TICKETS_UPDATE_COMPARISON,
} from '../../routes/comparisons.js';
import { ROUTE_TABLE } from '../../routes/table.js';
import type { Adapters, NewResponse, RouteSpec, SliceRequest } from '../../routes/types.js';
import { compareAnswers, decodeWire } from '../../src/shadow/compare/index.js';
import { createDryRunAdapters } from '../../src/shadow/dry-run.js';
import type { Effect, WireAnswer } from '../../src/shadow/types.js';

/**
 * Slice comparisons on answers recorded from the simulator: each answer is captured off a real socket and decoded as
 * the shadow runner decodes it. Write slices are also run the way the shadow runner runs them (legacy first, then the
 * route's handler against dry-run adapters), so legacy's derived effects and the candidate's intended ones must agree.
 */
let sim: Simulator;
let https: LegacyHttp[];
let adapters: Adapters;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const http = (system: string) => createLegacyHttp({ url: sim.url, system });
  const t = http('ticketing');
  const c = http('crm');
  const o = http('orders');
  const v = http('conversations');
  https = [t, c, o, v];
  adapters = {
    ticketing: createTicketingAdapter(t),
    users: createTicketingUsersAdapter(t),
    crm: createCrmAdapter(c),
    orders: createOrdersAdapter(o),
    conversations: createConversationsAdapter(v),
  };
});
afterAll(async () => {
  await Promise.all(https.map((h) => h.close()));
  await sim.close();
});
beforeEach(() => sim.reset());

/** One request to the simulator, recorded as the shadow runner sees legacy's answer. */
async function record(method: string, path: string, body?: string): Promise<WireAnswer> {
  const res = await request(`${sim.url}${path}`, {
    method: method as 'GET',
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, val] of Object.entries(res.headers)) if (typeof val === 'string') headers[k] = val;
  return decodeWire(res.statusCode, headers, buf);
}

const row = (id: string) => ROUTE_TABLE.find((r) => r.id === id) as RouteSpec;

/** Runs a route's handler as a shadow candidate: dry-run adapters, no commit effect. */
async function candidate(spec: RouteSpec, method: string, path: string, params: Record<string, string>, body: string) {
  const effects: Effect[] = [];
  const req: SliceRequest = {
    requestId: 'shadow-1',
    method,
    path,
    url: path,
    params,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(body),
  };
  const answer: NewResponse = await spec.handler(req, {
    signal: AbortSignal.timeout(5_000),
    adapters: createDryRunAdapters(adapters, effects),
    forwardHeaders: {},
    dryRun: true,
    commit: () => {},
    recordGaps: () => {},
  });
  const buf = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
  return { answer: decodeWire(answer.status, answer.headers, buf), effects };
}

describe('every route slice declares its comparison', () => {
  it('wires the comparison of each slice into its table rows', () => {
    expect(row('tickets.get').comparison).toBe(TICKETS_GET_COMPARISON);
    expect(row('tickets.create').comparison).toBe(TICKETS_CREATE_COMPARISON);
    expect(row('tickets.update').comparison).toBe(TICKETS_UPDATE_COMPARISON);
    expect(row('tickets.update.patch').comparison).toBe(TICKETS_UPDATE_COMPARISON);
    expect(row('customers.address').comparison).toBe(CUSTOMERS_ADDRESS_COMPARISON);
    for (const spec of ROUTE_TABLE) expect(spec.comparison, spec.id).toBeDefined();
    for (const spec of ROUTE_TABLE.filter((r) => r.write))
      expect(spec.comparison?.legacyEffects, spec.id).toBeDefined();
  });
});

describe('tickets.get', () => {
  it('maps a recorded ticket onto TicketV1 with the mapper the new path uses', async () => {
    for (const id of [1, 13, 42, 99]) {
      const answer = await record('GET', `/api/v2/tickets/${id}.json`);
      const side = TICKETS_GET_COMPARISON.toContract(answer, 'legacy');
      expect(side.ok).toBe(true);
      if (!side.ok) continue;
      expect(side.value).toEqual(ticketFromLegacy((answer.json as { ticket: unknown }).ticket).value);
      expect(side.unmodelled).toEqual({});
    }
  });

  it('reports fields outside the contract as unmodelled, by wire path', async () => {
    const answer = await record('GET', '/api/v2/tickets/3.json');
    const json = answer.json as { ticket: Record<string, unknown> };
    const extended = { ...answer, json: { ticket: { ...json.ticket, sharing_agreement_ids: [7] } } };
    const side = TICKETS_GET_COMPARISON.toContract(extended, 'candidate');
    expect(side).toMatchObject({ ok: true, unmodelled: { 'ticket.sharing_agreement_ids': [7] } });
  });

  it('turns contract violations into schema issues of the side they came from', async () => {
    const answer = await record('GET', '/api/v2/tickets/3.json');
    const json = answer.json as { ticket: Record<string, unknown> };
    const broken = { ...answer, json: { ticket: { ...json.ticket, priority: 'asap' } } };
    const side = TICKETS_GET_COMPARISON.toContract(broken, 'candidate');
    expect(side.ok).toBe(false);
    if (side.ok) return;
    expect(side.issues).toEqual([expect.objectContaining({ side: 'candidate', path: 'ticket.priority' })]);
    expect(TICKETS_GET_COMPARISON.toContract({ ...answer, json: { user: {} } }, 'legacy')).toMatchObject({
      ok: false,
      issues: [{ side: 'legacy', path: 'ticket' }],
    });
  });

  it('compares a recorded answer with itself as a match, and a changed subject as a real difference', async () => {
    const legacy = await record('GET', '/api/v2/tickets/7.json');
    const same = compareAnswers({
      slice: 'tickets.get',
      comparison: TICKETS_GET_COMPARISON,
      legacy,
      candidate: { ok: true, answer: legacy },
    });
    expect(same.result).toBe('match');
    const json = legacy.json as { ticket: Record<string, unknown> };
    const changed = { ...legacy, json: { ticket: { ...json.ticket, subject: `${json.ticket.subject}.` } } };
    const diff = compareAnswers({
      slice: 'tickets.get',
      comparison: TICKETS_GET_COMPARISON,
      legacy,
      candidate: { ok: true, answer: changed },
    });
    expect(diff.result).toBe('value_mismatch');
    expect(diff.fields.map((f) => f.path)).toEqual(['subject']);
  });
});

describe('tickets.create', () => {
  const body =
    '{"ticket":{"subject":"Parcel late","comment":{"body":"A-1001 has not arrived"},"tags":["Shipping","VIP"]}}';

  it("derives legacy's effect from the request and the id in legacy's answer", async () => {
    const answer = await record('POST', '/api/v2/tickets.json', body);
    expect(answer.status).toBe(201);
    const effects = TICKETS_CREATE_COMPARISON.legacyEffects?.(
      { method: 'POST', path: '/api/v2/tickets.json', body: Buffer.from(body) },
      answer,
    );
    expect(effects).toEqual([
      {
        system: 'ticketing',
        operation: 'ticket.create',
        target: '121',
        payload: { subject: 'Parcel late', comment: { body: 'A-1001 has not arrived' }, tags: ['Shipping', 'VIP'] },
      },
    ]);
    // Legacy stored the ticket the contract describes (the answer maps onto TicketV1).
    expect(TICKETS_CREATE_COMPARISON.toContract(answer, 'legacy').ok).toBe(true);
  });

  it('matches the dry-run candidate of the same request (paired by operation: its target is null)', async () => {
    const legacy = await record('POST', '/api/v2/tickets.json', body);
    const request = { method: 'POST', path: '/api/v2/tickets.json', body: Buffer.from(body) };
    const cand = await candidate(row('tickets.create'), 'POST', '/api/v2/tickets.json', {}, body);
    expect(cand.answer.status).toBe(201);
    expect(cand.effects).toHaveLength(1);
    expect(cand.effects[0]?.target).toBeNull();
    const legacyEffects = TICKETS_CREATE_COMPARISON.legacyEffects?.(request, legacy) ?? [];
    const input = { slice: 'tickets.create', comparison: TICKETS_CREATE_COMPARISON, legacy, legacyEffects };
    expect(compareAnswers({ ...input, candidate: { ok: true, ...cand } }).result).toBe('match');
    // Tags are a set; text is exact.
    const reordered = cand.effects.map((e) => ({
      ...e,
      payload: { ...(e.payload as object), tags: ['VIP', 'Shipping'] },
    }));
    expect(compareAnswers({ ...input, candidate: { ok: true, answer: cand.answer, effects: reordered } }).result).toBe(
      'match',
    );
    const retitled = cand.effects.map((e) => ({ ...e, payload: { ...(e.payload as object), subject: 'Parcel Late' } }));
    const diff = compareAnswers({ ...input, candidate: { ok: true, answer: cand.answer, effects: retitled } });
    expect(diff.result).toBe('value_mismatch');
    expect(diff.fields.map((f) => f.path)).toEqual(['$effects[0].payload.subject']);
    // A candidate that would not have written at all is a difference too.
    const none = compareAnswers({ ...input, candidate: { ok: true, answer: cand.answer, effects: [] } });
    expect(none.result).toBe('value_mismatch');
  });

  it('keeps a request the contract cannot read as it is, so the difference stays visible', async () => {
    const odd = '{"ticket":{"subject":"a","comment":{"body":"b"},"assignee_id":27}}';
    const answer = await record('POST', '/api/v2/tickets.json', odd);
    const effects = TICKETS_CREATE_COMPARISON.legacyEffects?.(
      { method: 'POST', path: '/api/v2/tickets', body: Buffer.from(odd) },
      answer,
    );
    expect(effects?.[0]?.payload).toEqual(JSON.parse(odd));
  });
});

describe('tickets.update', () => {
  it("derives legacy's effect with the ticket id from the path, and matches the dry-run candidate", async () => {
    const body = '{"ticket":{"status":"pending","priority":null,"tags":["Billing"]}}';
    const legacy = await record('PATCH', '/api/v2/tickets/8.json', body);
    expect(legacy.status).toBe(200);
    const request = { method: 'PATCH', path: '/api/v2/tickets/8.json', body: Buffer.from(body) };
    const legacyEffects = TICKETS_UPDATE_COMPARISON.legacyEffects?.(request, legacy) ?? [];
    expect(legacyEffects).toEqual([
      {
        system: 'ticketing',
        operation: 'ticket.update',
        target: '8',
        payload: { status: 'pending', priority: null, tags: ['Billing'] },
      },
    ]);
    const cand = await candidate(row('tickets.update.patch'), 'PATCH', '/api/v2/tickets/8.json', { id: '8' }, body);
    expect(cand.effects).toEqual(legacyEffects);
    const result = compareAnswers({
      slice: 'tickets.update',
      comparison: TICKETS_UPDATE_COMPARISON,
      legacy,
      legacyEffects,
      candidate: { ok: true, ...cand },
    });
    expect(result.result).toBe('match');
  });

  it('an update of another ticket is a difference (targets are compared when both are known)', async () => {
    const body = '{"ticket":{"status":"open"}}';
    const legacy = await record('PUT', '/api/v2/tickets/8', body);
    const legacyEffects =
      TICKETS_UPDATE_COMPARISON.legacyEffects?.(
        { method: 'PUT', path: '/api/v2/tickets/8', body: Buffer.from(body) },
        legacy,
      ) ?? [];
    const cand = await candidate(row('tickets.update'), 'PUT', '/api/v2/tickets/9', { id: '9' }, body);
    const result = compareAnswers({
      slice: 'tickets.update',
      comparison: TICKETS_UPDATE_COMPARISON,
      legacy,
      legacyEffects,
      candidate: { ok: true, ...cand },
    });
    expect(result.result).toBe('value_mismatch');
  });
});

describe('customers.address', () => {
  it('maps the CRM answer onto CustomerV1 and derives the address change legacy applied', async () => {
    const body = '{"ADDRESS":{"STREET":"Hauptstr. 5","CITY":"Stuttgart","ZIP_CD":"70173","COUNTRY_CD":"DE"}}';
    const legacy = await record('PUT', '/crm/customers/10005/address', body);
    expect(legacy.status).toBe(200);
    const side = CUSTOMERS_ADDRESS_COMPARISON.toContract(legacy, 'legacy');
    expect(side).toMatchObject({ ok: true, value: customerFromLegacy(legacy.json).value, unmodelled: {} });
    const request = { method: 'PUT', path: '/crm/customers/10005/address', body: Buffer.from(body) };
    const legacyEffects = CUSTOMERS_ADDRESS_COMPARISON.legacyEffects?.(request, legacy) ?? [];
    expect(legacyEffects).toEqual([
      {
        system: 'crm',
        operation: 'crm.address',
        target: '10005',
        payload: { street: 'Hauptstr. 5', city: 'Stuttgart', postalCode: '70173', country: 'DE' },
      },
    ]);
    const cand = await candidate(row('customers.address'), 'PUT', request.path, { id: '10005' }, body);
    expect(cand.answer.status).toBe(200);
    const result = compareAnswers({
      slice: 'customers.address',
      comparison: CUSTOMERS_ADDRESS_COMPARISON,
      legacy,
      legacyEffects,
      candidate: { ok: true, ...cand },
    });
    expect(result.result).toBe('match');
    const moved = cand.effects.map((e) => ({ ...e, payload: { ...(e.payload as object), postalCode: '70174' } }));
    const diff = compareAnswers({
      slice: 'customers.address',
      comparison: CUSTOMERS_ADDRESS_COMPARISON,
      legacy,
      legacyEffects,
      candidate: { ok: true, answer: cand.answer, effects: moved },
    });
    expect(diff.fields.map((f) => f.path)).toEqual(['$effects[0].payload.postalCode']);
  });

  it('reports CRM fields outside CustomerV1 as unmodelled', async () => {
    const legacy = await record('GET', '/crm/customers/10002');
    const json = legacy.json as Record<string, unknown>;
    const extended = {
      ...legacy,
      json: { ...json, LOYALTY_TIER: 'GOLD', ADDRESS: { ...(json.ADDRESS as object), CARE_OF: 'Reception' } },
    };
    expect(CUSTOMERS_ADDRESS_COMPARISON.toContract(extended, 'legacy')).toMatchObject({
      ok: true,
      unmodelled: { 'customer.LOYALTY_TIER': 'GOLD', 'customer.ADDRESS.CARE_OF': 'Reception' },
    });
  });
});
