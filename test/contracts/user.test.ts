import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type UserV1, UserV1Schema } from '../../contracts/v1/user.js';
import { customerIdOf, downgradeUser, UserV2Schema, upgradeUser } from '../../contracts/v2/user.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { userFromLegacy, userToLegacy } from '../../mappers/user.js';
import { isoSeconds } from '../helpers/arbitraries.js';

const id = fc.integer({ min: 1, max: 2 ** 40 });
const email = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,10}$/),
    fc.constantFrom('', '.', '_', '+'),
    fc.stringMatching(/^[a-z0-9]{1,8}$/),
  )
  .map(([a, sep, b]) => `${a}${sep}${b}@example.com`);
/** Possible numbers (libphonenumber), so they survive the E.164 parse on the way back. */
const PHONES = ['+491712345678', '+15550101234', '+33698765432', '+447700900123', '+48601234567', '+353871234567'];
/** Fractions too: the ticketing system's timestamps are ISO and may carry milliseconds. */
const timestamp = fc.oneof(
  isoSeconds,
  isoSeconds.map((s) => s.replace('Z', '.250Z')),
);

/** Arbitrary valid UserV1 values (hand-derived from UserV1Schema). */
const userV1: fc.Arbitrary<UserV1> = fc.record({
  url: id.map((n) => `http://legacy.example/api/v2/users/${n}.json`),
  id,
  name: fc.string({ unit: 'grapheme', maxLength: 40 }),
  email: fc.option(email, { nil: null }),
  createdAt: timestamp,
  updatedAt: timestamp,
  timeZone: fc.constantFrom('Berlin', 'Eastern Time (US & Canada)', 'London'),
  ianaTimeZone: fc.constantFrom('Europe/Berlin', 'America/New_York', 'Europe/London'),
  phone: fc.option(fc.constantFrom(...PHONES), { nil: null }),
  locale: fc.constantFrom('de', 'en-US', 'en-GB', 'fr', 'pt-BR', 'x-unknown'),
  localeId: fc.nat({ max: 100 }),
  organizationId: fc.option(id, { nil: null }),
  role: fc.constantFrom('end-user', 'agent', 'admin'),
  verified: fc.boolean(),
  externalId: fc.option(fc.oneof(id.map(String), fc.string({ maxLength: 12 })), { nil: null }),
  tags: fc.array(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 4 }),
  active: fc.boolean(),
  lastLoginAt: fc.option(timestamp, { nil: null }),
});

const FIXTURE_DIR = new URL('../fixtures/legacy/ticketing-users/', import.meta.url);
const recorded = readdirSync(FIXTURE_DIR)
  .filter((f) => /^user-\d+\.fixture\.json$/.test(f))
  .map((f) => (JSON.parse(readFileSync(new URL(f, FIXTURE_DIR), 'utf8')) as { user: Record<string, unknown> }).user);

describe('User contract', () => {
  it('arbitrary values are valid UserV1 (the arbitrary matches the schema)', () => {
    fc.assert(
      fc.property(userV1, (u) => UserV1Schema.safeParse(u).success),
      { numRuns: 300 },
    );
  });

  it('contract → legacy wire → contract is the identity', () => {
    fc.assert(
      fc.property(userV1, (u) => {
        const wire = JSON.parse(JSON.stringify(userToLegacy(u))) as unknown;
        expect(userFromLegacy(wire).value).toEqual(u);
      }),
      { numRuns: 300 },
    );
  });

  it('legacy → contract never throws anything but MappingError (arbitrary JSON, mutated fixtures)', () => {
    const mutate = (base: fc.Arbitrary<Record<string, unknown>>) =>
      base.chain((wire) =>
        fc
          .record({
            key: fc.constantFrom(...Object.keys(wire)),
            value: fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined), fc.anything({ withBigInt: true })),
          })
          .map(({ key, value }) => ({ ...wire, [key]: value })),
      );
    const payloads = fc.oneof(
      fc.jsonValue(),
      fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true }),
      mutate(userV1.map((u) => userToLegacy(u))),
      mutate(fc.constantFrom(...recorded)),
    );
    fc.assert(
      fc.property(payloads, (payload) => {
        try {
          userFromLegacy(payload);
        } catch (e) {
          expect(e).toBeInstanceOf(MappingError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('every valid v1 document upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(userV1, (u) => {
        const v2 = upgradeUser(u);
        expect(UserV2Schema.safeParse(v2).success).toBe(true);
        expect(downgradeUser(v2)).toEqual(u);
      }),
      { numRuns: 300 },
    );
  });

  it('v2 evolutions: light-agent shows as agent in v1, the deprecated alias stays in step, customerId is derived', () => {
    fc.assert(
      fc.property(userV1, (u) => {
        const v2 = { ...upgradeUser(u), role: 'light-agent' as const };
        const back = downgradeUser(v2);
        expect(back.role).toBe('agent');
        expect(UserV1Schema.safeParse(back).success).toBe(true);
        expect(UserV2Schema.safeParse({ ...v2, verified: !v2.emailVerified }).success).toBe(false);
      }),
      { numRuns: 100 },
    );
    const anna = userFromLegacy(recorded.find((u) => u.id === 1)).value;
    expect(upgradeUser(anna).customerId).toBe(10001);
    expect([customerIdOf(null), customerIdOf('abc'), customerIdOf('0'), customerIdOf('99999999999999999')]).toEqual([
      null,
      null,
      null,
      null,
    ]);
  });

  it('exports as JSON Schema with the deprecation written down', () => {
    const v2 = z.toJSONSchema(UserV2Schema, { io: 'output', unrepresentable: 'any' }) as {
      properties: Record<string, { description?: string }>;
    };
    expect(v2.properties.verified?.description).toBe('deprecated: use emailVerified');
    expect(Object.keys(v2.properties)).toEqual(expect.arrayContaining(['emailVerified', 'customerId', 'role']));
  });
});
