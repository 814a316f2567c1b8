import { readFileSync } from 'node:fs';
import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { createTicketingUsersAdapter, type TicketingUsersAdapter } from '../../legacy-adapters/ticketing-users.js';
import { userFromLegacy } from '../../mappers/user.js';
import { GatewayError } from '../../src/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/legacy/ticketing-users/${name}`, import.meta.url));

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).system).toBe('ticketing');
  return err as GatewayError;
}

describe('ticketing users adapter against the simulator', () => {
  let sim: Simulator;
  let http: LegacyHttp;
  let users: TicketingUsersAdapter;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    http = createLegacyHttp({ url: sim.url, system: 'ticketing' });
    users = createTicketingUsersAdapter(http);
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });

  it('getUser returns `{user}` and forwards the client headers it is given', async () => {
    const { response, json } = await users.getUser('27', { headers: { authorization: 'Bearer t' } });
    expect(response.status).toBe(200);
    expect(userFromLegacy((json as { user: unknown }).user).value).toMatchObject({ id: 27, role: 'agent' });
    const seen = sim.requests().at(-1);
    expect(seen?.url).toBe('/api/v2/users/27.json');
    expect(seen?.headers.authorization).toBe('Bearer t');
  });

  it('returns 404s for verbatim relay, and transport faults as GW_* errors', async () => {
    const missing = await users.getUser('31');
    expect([missing.response.status, missing.json]).toEqual([404, undefined]);
    expect(missing.response.body.toString()).toBe('{"error":"RecordNotFound","description":"Not found"}');
    sim.setFaults({ mode: 'reset' });
    expect((await rejection(users.getUser('1'))).code).toBe('GW_UPSTREAM_RESET');
    sim.reset();
  });
});

describe('ticketing users adapter with answers the simulator cannot give (MockAgent)', () => {
  const ORIGIN = 'http://ticketing.legacy.test';
  let agent: MockAgent;
  let users: TicketingUsersAdapter;
  beforeAll(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    users = createTicketingUsersAdapter(createLegacyHttp({ url: ORIGIN, system: 'ticketing', dispatcher: agent }));
  });
  afterAll(() => agent.close());

  it('refuses a 2xx body that is not valid UTF-8 JSON as GW_UPSTREAM_BAD_RESPONSE', async () => {
    for (const body of [fixture('user-invalid-utf8.fixture.bin'), Buffer.from('<html/>')]) {
      agent
        .get(ORIGIN)
        .intercept({ path: '/api/v2/users/1.json', method: 'GET' })
        .reply(200, body, { headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect((await rejection(users.getUser('1'))).code).toBe('GW_UPSTREAM_BAD_RESPONSE');
    }
  });
});
