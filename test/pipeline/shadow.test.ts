import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../routes/table.js';
import { getTicket } from '../../routes/tickets-get.js';
import type { NewHandler, RouteSpec } from '../../routes/types.js';
import { get, type Stack, startStack } from '../helpers/stack.js';

type Behaviour = 'same' | 'different' | 'invalid' | 'slow' | 'throw' | 'blocked';
let release: () => void = () => {};
let candidateFinished = false;
let behaviour: Behaviour = 'same';
let dryRuns = 0;
const candidate: NewHandler = async (req, ctx) => {
  if (ctx.dryRun) dryRuns++;
  if (behaviour === 'throw') throw new Error('candidate broke');
  if (behaviour === 'slow') await new Promise((r) => setTimeout(r, 400));
  if (behaviour === 'blocked') {
    await new Promise<void>((r) => {
      release = r;
    });
    candidateFinished = true;
  }
  const answer = await getTicket(req, ctx);
  if (behaviour === 'different') return { ...answer, body: String(answer.body).replace('"subject":"', '"subject":"x') };
  // An enum value the contract does not know: the candidate breaks the contract.
  if (behaviour === 'invalid') return { ...answer, body: String(answer.body).replace('"status":"', '"status":"x') };
  return answer;
};
const spec = ROUTE_TABLE.find((r) => r.id === 'tickets.get') as RouteSpec;

/** A stack whose tickets.get slice runs `candidate` in the shadow of legacy, with these shadow settings. */
async function shadowStack(shadow: { deadlineMs: number; maxConcurrent?: number; maxRunsPerSecond?: number }) {
  const st = await startStack({ routes: [{ ...spec, handler: candidate }], overrides: { shadow } });
  st.shadow('tickets.get', true);
  await st.waitFor(() => st.gw.deps.flags.slice('tickets.get').stage === 'shadow');
  return st;
}

let s: Stack;
beforeAll(async () => {
  s = await shadowStack({ deadlineMs: 200, maxConcurrent: 4 });
});
afterAll(async () => {
  await s.close();
});
beforeEach(() => {
  behaviour = 'same';
});

const url = `/api/v2/tickets/3.json`;
const comparisons = (result: string) => s.metric('gateway_shadow_comparisons_total', { slice: 'tickets.get', result });

describe('shadow runs', () => {
  it('serves legacy, then runs the new path dry and records a match', async () => {
    const before = await comparisons('match');
    const r = await get(`${s.gw.publicUrl}${url}`);
    expect(r.servedBy).toBe('legacy');
    expect(r.headers['x-gateway-mode']).toBe('shadow');
    await s.waitFor(async () => (await comparisons('match')) === before + 1);
    expect(dryRuns).toBeGreaterThan(0);
  });

  it('classifies a different answer, a failing candidate and a slow candidate', async () => {
    for (const [b, result] of [
      ['different', 'value_mismatch'],
      ['invalid', 'schema_error'],
      ['throw', 'candidate_error'],
      ['slow', 'candidate_timeout'],
    ] as const) {
      behaviour = b;
      const before = await comparisons(result);
      const r = await get(`${s.gw.publicUrl}${url}`);
      expect(r.status).toBe(200);
      expect(r.servedBy).toBe('legacy');
      await s.waitFor(async () => (await comparisons(result)) === before + 1);
    }
  });

  it('never delays the client: the answer arrives while the candidate is still running', async () => {
    behaviour = 'blocked';
    candidateFinished = false;
    const r = await get(`${s.gw.publicUrl}${url}`);
    expect(r.status).toBe(200);
    expect(candidateFinished).toBe(false);
    await s.waitFor(() => s.gw.deps.shadow.inFlight() === 0); // its own deadline ends it
    release();
  });

  it('skips shadowing above the concurrency cap and counts the skip', async () => {
    behaviour = 'slow';
    const before = await s.metric('gateway_shadow_skipped_total', { slice: 'tickets.get', reason: 'concurrency' });
    await Promise.all(Array.from({ length: 12 }, () => get(`${s.gw.publicUrl}${url}`)));
    expect(
      await s.metric('gateway_shadow_skipped_total', { slice: 'tickets.get', reason: 'concurrency' }),
    ).toBeGreaterThan(before);
    await s.waitFor(() => s.gw.deps.shadow.inFlight() === 0);
  });
});

describe('shadow pace', () => {
  let paced: Stack;
  beforeAll(async () => {
    paced = await shadowStack({ deadlineMs: 200, maxRunsPerSecond: 0.5 });
  });
  afterAll(async () => {
    await paced.close();
  });
  const count = (name: string, labels: Record<string, string>) =>
    paced.metric(name, { slice: 'tickets.get', ...labels });

  it('starts at most maxRunsPerSecond runs per slice, counts the rest as rate, and does not pace replayed requests', async () => {
    const before = await count('gateway_shadow_comparisons_total', { result: 'match' });
    // One run per 2 s: of three requests in a row, the first is compared and the other two are skipped.
    for (let i = 0; i < 3; i++) expect((await get(`${paced.gw.publicUrl}${url}`)).status).toBe(200);
    expect(await count('gateway_shadow_skipped_total', { reason: 'rate' })).toBe(2);
    // `gateway replay` traffic has its own rate limit: every replayed request is compared.
    for (let i = 0; i < 3; i++) {
      const r = await get(`${paced.gw.publicUrl}${url}`, { 'x-gateway-replay': 'run-pace' });
      expect(r.status).toBe(200);
    }
    await paced.waitFor(
      async () => (await count('gateway_shadow_comparisons_total', { result: 'match' })) === before + 4,
    );
    expect(await count('gateway_shadow_skipped_total', { reason: 'rate' })).toBe(2);
  });
});
