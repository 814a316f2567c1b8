import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type UserV1, UserV1Schema } from '../../contracts/v1/user.js';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { createTicketingUsersAdapter, type TicketingUsersAdapter } from '../../legacy-adapters/ticketing-users.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { regionOfLocale, renderUserResponse, userFromLegacy, userToLegacy } from '../../mappers/user.js';

/**
 * Golden fixtures under test/fixtures/legacy/ticketing-users/: `user-<id>` and `user-not-found` are recorded from the
 * simulator with a fixed publicOrigin (re-record with `vitest -u` after a deliberate simulator change); the rest are
 * hand-written edge cases.
 */
const ORIGIN = 'http://legacy.example:8090';
const RECORDED = [1, 2, 5, 6, 7, 11, 13, 16, 20, 26, 29];
const fixturePath = (name: string) => `../fixtures/legacy/ticketing-users/${name}`;
const fixtureBytes = (name: string) => readFileSync(new URL(fixturePath(name), import.meta.url));
const fixture = (name: string): unknown => JSON.parse(fixtureBytes(name).toString('utf8'));
const userOf = (name: string): unknown => (fixture(name) as { user: unknown }).user;

let sim: Simulator;
let http: LegacyHttp;
let users: TicketingUsersAdapter;
beforeAll(async () => {
  sim = await startSimulator({ port: 0, publicOrigin: ORIGIN });
  http = createLegacyHttp({ url: sim.url, system: 'ticketing' });
  users = createTicketingUsersAdapter(http);
});
afterAll(async () => {
  await http.close();
  await sim.close();
});

describe('recorded ticketing-user fixtures', () => {
  it('the simulator still answers exactly the committed fixtures (drift check)', async () => {
    for (const id of RECORDED) {
      const { response } = await users.getUser(String(id));
      expect(response.status).toBe(200);
      await expect(response.body.toString('utf8')).toMatchFileSnapshot(fixturePath(`user-${id}.fixture.json`));
    }
    const missing = await users.getUser('31');
    expect(missing.response.status).toBe(404);
    expect(missing.json).toBeUndefined();
    await expect(missing.response.body.toString('utf8')).toMatchFileSnapshot(
      fixturePath('user-not-found.fixture.json'),
    );
  });

  it('maps each recorded fixture onto UserV1 and renders the exact recorded bytes back', () => {
    for (const id of RECORDED) {
      const raw = fixtureBytes(`user-${id}.fixture.json`).toString('utf8');
      const { value, carry } = userFromLegacy((JSON.parse(raw) as { user: unknown }).user);
      expect(UserV1Schema.parse(value)).toEqual(value);
      expect(carry.gaps).toEqual([]);
      expect(renderUserResponse(value, carry)).toBe(raw);
    }
  });

  it('maps user 1 field by field', () => {
    const expected: UserV1 = {
      url: `${ORIGIN}/api/v2/users/1.json`,
      id: 1,
      name: 'Anna Schmidt',
      email: 'anna.schmidt@example.com',
      createdAt: '2019-03-12T14:15:00Z',
      updatedAt: '2023-11-02T21:00:00Z',
      timeZone: 'Berlin',
      ianaTimeZone: 'Europe/Berlin',
      phone: '+491712345678',
      locale: 'de',
      localeId: 8,
      organizationId: 360000102,
      role: 'end-user',
      verified: true,
      externalId: '10001',
      tags: [],
      active: true,
      lastLoginAt: '2024-01-05T07:30:00Z',
    };
    expect(userFromLegacy(userOf('user-1.fixture.json')).value).toEqual(expected);
  });

  it('parses legacy phone formats with the region of the locale', () => {
    const phone = (id: number) => userFromLegacy(userOf(`user-${id}.fixture.json`)).value.phone;
    expect(phone(2)).toBe('+15550101234'); // (555) 010-1234, en-US
    expect(phone(11)).toBe('+33698765432'); // 06 98 76 54 32, fr
    expect(phone(13)).toBe('+49711555123'); // 0711/555123, de
    expect(phone(16)).toBe('+447700900123'); // 07700 900123, en-GB
    expect(phone(6)).toBeNull();
    expect([regionOfLocale('de'), regionOfLocale('en-US'), regionOfLocale('es-419'), regionOfLocale('x_y')]).toEqual([
      'DE',
      'US',
      null,
      null,
    ]);
  });

  it('maps every seeded user (1..30) live and renders the legacy bytes back', async () => {
    for (let id = 1; id <= 30; id++) {
      const { response, json } = await users.getUser(String(id));
      const { value, carry } = userFromLegacy((json as { user: unknown }).user);
      expect(UserV1Schema.parse(value)).toEqual(value);
      expect(renderUserResponse(value, carry)).toBe(response.body.toString('utf8'));
    }
  });
});

describe('hand-written ticketing-user edge cases', () => {
  const roundTrips = (payload: unknown) => {
    const { value, carry } = userFromLegacy(payload);
    expect(UserV1Schema.parse(value)).toEqual(value);
    expect(JSON.stringify(userToLegacy(value, carry))).toBe(JSON.stringify(payload));
    return { value, carry };
  };

  it('timestamps with an offset are normalised to UTC and rendered back as sent', () => {
    const { value, carry } = roundTrips(userOf('user-offset-timestamps.fixture.json'));
    expect(value.createdAt).toBe('2019-03-12T14:15:00Z');
    expect(value.lastLoginAt).toBe('2024-01-05T07:30:00.250Z');
    // Once changed, a timestamp is rendered in the contract's UTC form.
    expect(userToLegacy({ ...value, createdAt: '2020-01-01T00:00:00Z' }, carry).created_at).toBe(
      '2020-01-01T00:00:00Z',
    );
  });

  it('missing nullable keys map to null and stay missing; an upper-cased e-mail is lower-cased', () => {
    const { value } = roundTrips(userOf('user-missing-fields.fixture.json'));
    expect(value).toMatchObject({ phone: null, organizationId: null, externalId: null, lastLoginAt: null });
    expect(value.email).toBe('max.muster@example.com');
  });

  it('unmodelled Zendesk fields are carried through in place and reported as gaps', () => {
    const { carry } = roundTrips(userOf('user-extra-fields.fixture.json'));
    expect(carry.gaps).toEqual(['user.alias', 'user.shared', 'user.photo', 'user.user_fields']);
  });

  it('an unknown role is a MappingError (v1 has no light agents)', () => {
    expect(() => userFromLegacy(userOf('user-unknown-role.fixture.json'))).toThrow(/user\.role/);
  });

  it('a payload that breaks the schema is one MappingError listing every broken field', () => {
    try {
      userFromLegacy(userOf('user-broken.fixture.json'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MappingError);
      const issues = (e as MappingError).issues.join('\n');
      for (const key of ['id', 'phone', 'created_at', 'updated_at', 'tags', 'active'])
        expect(issues).toContain(`user.${key}`);
    }
    expect(() => userFromLegacy('user')).toThrow(MappingError);
  });

  it('huge strings (1 MiB) map and render back byte-identically', () => {
    const big = 'ß'.repeat(1 << 20);
    const { value } = roundTrips({ ...(userOf('user-1.fixture.json') as object), name: big, tags: [big] });
    expect(value.name).toHaveLength(1 << 20);
  });

  it('non-UTF-8 bytes: decoded leniently they map with U+FFFD (the adapter itself refuses them)', () => {
    const bytes = fixtureBytes('user-invalid-utf8.fixture.bin');
    expect(bytes.includes(0xff)).toBe(true);
    const { value } = userFromLegacy((JSON.parse(bytes.toString('utf8')) as { user: unknown }).user);
    expect(UserV1Schema.parse(value).name).toContain('\uFFFD');
  });
});
