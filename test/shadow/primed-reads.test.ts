import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyHttp, type LegacyHttp, type PrimedRead, withPrimedRead } from '../../legacy-adapters/http.js';
import { startSimulator } from '../../legacy-adapters/simulator/server.js';
import type { Simulator } from '../../legacy-adapters/simulator/types.js';
import type { LegacyCapture } from '../../src/shadow/judge.js';
import { primedKeyOf } from '../../src/shadow/primed.js';
import { type StampingLegacy, startStampingLegacy } from '../helpers/noise.js';
import { get, type Stack, startStack } from '../helpers/stack.js';

/**
 * Shadow primed reads (decision 26): a candidate's legacy read of exactly the client's request gets legacy's answer
 * to the client instead of a second call, where an HTTP cache could reuse it; anything else still goes to legacy.
 */
const URL_1 = 'http://legacy.test/api/v2/tickets/1.json';
const capture = (headers: Record<string, string> = {}, status = 200): LegacyCapture => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: Buffer.from('{"ticket":{"id":1}}'),
});

describe('primedKeyOf', () => {
  it('primes a GET whose answer came back whole and not content-encoded', () => {
    expect(primedKeyOf('GET', URL_1, {}, capture())).toEqual({ url: URL_1, vary: {} });
    expect(primedKeyOf('GET', URL_1, {}, capture({ 'content-encoding': 'identity' }))).not.toBeNull();
    expect(primedKeyOf('GET', URL_1, {}, capture({}, 404))).not.toBeNull();
  });

  it('does not prime other methods, encoded, cut or missing bodies, or a legacy 5xx', () => {
    expect(primedKeyOf('HEAD', URL_1, {}, capture())).toBeNull();
    expect(primedKeyOf('POST', URL_1, {}, capture())).toBeNull();
    expect(primedKeyOf('GET', URL_1, {}, capture({ 'content-encoding': 'gzip' }))).toBeNull();
    expect(primedKeyOf('GET', URL_1, {}, { ...capture(), body: 'truncated' })).toBeNull();
    expect(primedKeyOf('GET', URL_1, {}, { ...capture(), body: null })).toBeNull();
    expect(primedKeyOf('GET', URL_1, {}, capture({}, 503))).toBeNull();
  });

  it('keeps the client’s values of the headers the answer varies on, except Accept-Encoding', () => {
    const key = primedKeyOf(
      'GET',
      URL_1,
      { 'accept-language': 'de', 'accept-encoding': 'gzip', 'x-tenant': ['a', 'b'] },
      capture({ vary: 'Accept-Language, Accept-Encoding, Cookie, X-Tenant' }),
    );
    expect(key?.vary).toEqual({ 'accept-language': 'de', cookie: null, 'x-tenant': 'a, b' });
    expect(primedKeyOf('GET', URL_1, {}, capture({ vary: 'Accept-Language, *' }))).toBeNull();
  });
});

describe('withPrimedRead', () => {
  let sim: Simulator;
  let http: LegacyHttp;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    http = createLegacyHttp({ url: sim.url, system: 'ticketing' });
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });

  const read = (vary: Record<string, string | null> = {}): PrimedRead => ({
    url: http.urlOf('/api/v2/tickets/1.json'),
    vary,
    response: { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"primed":true}') },
  });
  const legacyCalls = () => sim.requests().length;

  it('answers the primed GET from memory and sends every other call to legacy', async () => {
    let hits = 0;
    const primed = withPrimedRead(http, read({ 'accept-language': 'de' }), () => hits++);
    const before = legacyCalls();
    const same = await primed.call('GET', '/api/v2/tickets/1.json', { headers: { 'Accept-Language': 'de' } });
    expect(same.body.toString()).toBe('{"primed":true}');
    expect([hits, legacyCalls() - before]).toEqual([1, 0]);

    // Another resource, another value of a Vary header, a header the client did not send, a body: legacy answers.
    await primed.call('GET', '/api/v2/tickets/2.json', { headers: { 'accept-language': 'de' } });
    await primed.call('GET', '/api/v2/tickets/1.json', { headers: { 'accept-language': 'fr' } });
    await primed.call('GET', '/api/v2/tickets/1.json');
    await primed.call('GET', '/api/v2/tickets/1.json', { headers: { 'accept-language': 'de' }, body: '{}' });
    expect([hits, legacyCalls() - before]).toEqual([1, 4]);
  });

  it('leaves the pool open when closed: the pool belongs to the gateway', async () => {
    await withPrimedRead(http, read(), () => {}).close();
    const r = await http.call('GET', '/api/v2/tickets/1.json');
    expect(r.status).toBe(200);
  });
});

/** End to end: tickets.get at 100 % shadow with the shipped route table, noise learning's second call off. */
describe.each([
  { where: 'in the comparison worker', worker: true },
  { where: 'on the main thread', worker: false },
])('a shadowed ticket read, candidate $where', ({ worker }) => {
  const stacks: Partial<Record<'on' | 'off', Stack>> = {};
  beforeAll(async () => {
    for (const primedReads of [true, false]) {
      const st = await startStack({
        overrides: { shadow: { worker, workerCandidates: worker, primedReads, noise: { secondary: false } } },
      });
      st.shadow('tickets.get', true);
      await st.waitFor(() => st.gw.deps.flags.slice('tickets.get').stage === 'shadow');
      stacks[primedReads ? 'on' : 'off'] = st;
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all(Object.values(stacks).map((st) => st.close()));
  });

  /** Shadows GET /api/v2/tickets/<id>.json once; legacy's GETs of it and the stored diff record. */
  async function shadowOnce(st: Stack, id: number, headers: Record<string, string> = {}) {
    const path = `/api/v2/tickets/${id}.json`;
    const comparisons = () => st.metric('gateway_shadow_comparisons_total', { slice: 'tickets.get', result: 'match' });
    const before = await comparisons();
    const r = await get(`${st.gw.publicUrl}${path}`, headers);
    expect([r.status, r.servedBy]).toEqual([200, 'legacy']);
    await st.waitFor(async () => (await comparisons()) === before + 1, 15_000);
    const gets = st.sim.requests().filter((q) => q.method === 'GET' && q.url === path).length;
    const { items } = await st.gw.deps.diffStore.list({ slice: 'tickets.get', limit: 1 });
    return { gets, record: items[0] };
  }

  it('reads legacy once with primed reads on, and says so in the diff record', async () => {
    const st = stacks.on as Stack;
    const { gets, record } = await shadowOnce(st, 1);
    expect(gets).toBe(1);
    expect(record?.result).toBe('match');
    expect(record?.candidate.primedReads).toBe(1);
  });

  it('reads legacy twice with primed reads off', async () => {
    const st = stacks.off as Stack;
    const { gets, record } = await shadowOnce(st, 1);
    expect(gets).toBe(2);
    expect(record?.result).toBe('match');
    expect(record?.candidate.primedReads).toBeUndefined();
  });

  it('reads legacy again when the client asked for a compressed answer and got one', async () => {
    const st = stacks.on as Stack;
    // Ticket 7 is the simulator's one above its 1 KiB gzip threshold.
    const { gets, record } = await shadowOnce(st, 7, { 'accept-encoding': 'gzip' });
    expect(gets).toBe(2);
    expect(record?.candidate.primedReads).toBeUndefined();
  });
});

describe('a legacy that stamps every answer anew', () => {
  let sim: Simulator;
  let stamping: StampingLegacy;
  let st: Stack;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    stamping = await startStampingLegacy(sim.url);
    st = await startStack({ overrides: { legacy: { url: stamping.url }, shadow: { noise: { secondary: false } } } });
    st.shadow('tickets.get', true);
    await st.waitFor(() => st.gw.deps.flags.slice('tickets.get').stage === 'shadow');
  }, 30_000);
  afterAll(async () => {
    await st?.close();
    await stamping?.close();
    await sim?.close();
  });

  it('compares the candidate on the answer the client got: a clean match, no time skew to learn away', async () => {
    for (const id of [1, 2, 3]) {
      await (await fetch(`${st.gw.publicUrl}/api/v2/tickets/${id}.json`)).arrayBuffer();
      await st.gw.deps.shadow.drain();
    }
    await st.waitFor(async () => (await st.gw.deps.diffStore.list({ slice: 'tickets.get' })).items.length === 3);
    const { items } = await st.gw.deps.diffStore.list({ slice: 'tickets.get' });
    for (const r of items) expect([r.result, r.fields, r.noise, r.candidate.primedReads]).toEqual(['match', [], [], 1]);
  });
});
