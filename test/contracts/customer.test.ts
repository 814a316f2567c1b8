import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CustomerV1, CustomerV1Schema } from '../../contracts/v1/customer.js';
import { CustomerV2Schema, downgradeCustomer, upgradeCustomer } from '../../contracts/v2/customer.js';
import { isoToLegacyTimestamp } from '../../mappers/common.js';
import { CRM_TIME_ZONE, crmCurrencyFor, customerFromLegacy, customerToLegacy } from '../../mappers/customer.js';
import { MappingError } from '../../mappers/mapping-error.js';

const wall = (iso: string) => isoToLegacyTimestamp(iso, { timeZone: CRM_TIME_ZONE });
const isoOf = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/**
 * CRM instants, 1900–2100, whole seconds. Left out: the first pass through the repeated hour when clocks go back
 * (00:00–01:00Z on the last Sunday of October in Berlin). Its wall time is the same as one hour later, and the CRM's
 * `YYYYMMDD HHmmss` cannot tell them apart (documented resolution: the later instant; tested below).
 */
const crmInstant = fc
  .integer({ min: Date.UTC(1900, 0, 1) / 1000, max: Date.UTC(2100, 0, 1) / 1000 })
  .filter((s) => wall(isoOf(s)) !== wall(isoOf(s + 3600)))
  .map(isoOf);

const nonBlank = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => /\S/.test(s));
const email = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,10}$/),
    fc.constantFrom('', '.', '_', '+', '-'),
    fc.stringMatching(/^[a-z0-9]{1,8}$/),
    fc.constantFrom('example.com', 'mail.example.org', 'x.io'),
  )
  .map(([a, sep, b, domain]) => `${a}${sep}${b}@${domain}`);
/** Possible numbers (libphonenumber), so they survive the E.164 parse on the way back. */
const PHONES = ['+491712345678', '+4930901820', '+15550101234', '+33123456789', '+447700900123', '+48601234567'];
const amount = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.integer({ min: 0, max: 99 }))
  .map(([neg, int, cents]) => `${neg && (int > 0n || cents > 0) ? '-' : ''}${int}.${String(cents).padStart(2, '0')}`);

/** Arbitrary valid CustomerV1 values (hand-derived from CustomerV1Schema; currency follows the country). */
const customerV1: fc.Arbitrary<CustomerV1> = fc
  .record({
    id: fc.integer({ min: 1, max: 2 ** 40 }),
    firstName: fc.option(nonBlank, { nil: null }),
    lastName: fc.option(nonBlank, { nil: null }),
    email: fc.option(email, { nil: null }),
    phone: fc.option(fc.constantFrom(...PHONES), { nil: null }),
    creditLimit: fc.option(amount, { nil: null }),
    orderCount: fc.option(fc.nat(), { nil: null }),
    createdAt: crmInstant,
    lastContactAt: fc.option(crmInstant, { nil: null }),
    status: fc.constantFrom('active', 'inactive', 'suspended'),
    vip: fc.boolean(),
    address: fc.record({
      street: fc.option(nonBlank, { nil: null }),
      city: fc.option(nonBlank, { nil: null }),
      postalCode: fc.option(nonBlank, { nil: null }),
      country: fc.constantFrom('DE', 'US', 'GB', 'FR', 'PL', 'JP', null),
    }),
  })
  .map((c) => ({
    ...c,
    creditLimit: c.creditLimit === null ? null : { amount: c.creditLimit, currency: crmCurrencyFor(c.address.country) },
  }));

const FIXTURE_DIR = new URL('../fixtures/legacy/crm/', import.meta.url);
const recorded = readdirSync(FIXTURE_DIR)
  .filter((f) => f.startsWith('customer-1') && f.endsWith('.fixture.json'))
  .map((f) => JSON.parse(readFileSync(new URL(f, FIXTURE_DIR), 'utf8')) as Record<string, unknown>);

describe('Customer contract', () => {
  it('arbitrary values are valid CustomerV1 (the arbitrary matches the schema)', () => {
    fc.assert(
      fc.property(customerV1, (c) => CustomerV1Schema.safeParse(c).success),
      { numRuns: 300 },
    );
  });

  it('contract → CRM wire → contract is the identity', () => {
    fc.assert(
      fc.property(customerV1, (c) => {
        const wire = JSON.parse(JSON.stringify(customerToLegacy(c))) as unknown;
        expect(customerFromLegacy(wire).value).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });

  it('an instant in the repeated autumn hour renders like one hour later and comes back as the later one', () => {
    const first = '2024-10-27T00:30:00Z';
    const base = customerFromLegacy(recorded[0]).value;
    const wire = customerToLegacy({ ...base, createdAt: first });
    expect(wire.CREATED_TS).toBe('20241027 023000');
    expect(customerFromLegacy(wire).value.createdAt).toBe('2024-10-27T01:30:00Z');
  });

  it('legacy → contract never throws anything but MappingError (arbitrary JSON, mutated fixtures)', () => {
    const mutate = (base: fc.Arbitrary<Record<string, unknown>>) =>
      base.chain((wire) =>
        fc
          .record({
            key: fc.constantFrom(...Object.keys(wire), 'ADDRESS.STREET', 'ADDRESS.ZIP_CD', 'ADDRESS.COUNTRY_CD'),
            value: fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined), fc.anything({ withBigInt: true })),
          })
          .map(({ key, value }) => {
            if (!key.startsWith('ADDRESS.')) return { ...wire, [key]: value };
            return { ...wire, ADDRESS: { ...(wire.ADDRESS as object), [key.slice(8)]: value } };
          }),
      );
    const payloads = fc.oneof(
      fc.jsonValue(),
      fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true }),
      mutate(customerV1.map((c) => customerToLegacy(c))),
      mutate(fc.constantFrom(...recorded)),
    );
    fc.assert(
      fc.property(payloads, (payload) => {
        try {
          customerFromLegacy(payload);
        } catch (e) {
          expect(e).toBeInstanceOf(MappingError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('every valid v1 document upgrades to v2, and v2 → v1 keeps every field v1 has', () => {
    fc.assert(
      fc.property(customerV1, (c) => {
        const v2 = upgradeCustomer(c);
        expect(CustomerV2Schema.safeParse(v2).success).toBe(true);
        expect(downgradeCustomer(v2)).toEqual(c);
      }),
      { numRuns: 300 },
    );
  });

  it('v2 evolutions: widened status maps onto v1, the deprecated alias stays in step, the additive field is free', () => {
    fc.assert(
      fc.property(customerV1, fc.constantFrom('de', 'en-US', null), (c, lang) => {
        const v2 = { ...upgradeCustomer(c), status: 'closed' as const, preferredLanguage: lang };
        expect(CustomerV2Schema.safeParse(v2).success).toBe(true);
        const back = downgradeCustomer(v2);
        expect(back.status).toBe('inactive');
        expect(CustomerV1Schema.safeParse(back).success).toBe(true);
        expect(back).not.toHaveProperty('preferredLanguage');
        expect(back).not.toHaveProperty('lifetimeOrderCount');
        const drifted = { ...v2, orderCount: (v2.lifetimeOrderCount ?? 0) + 1 };
        expect(CustomerV2Schema.safeParse(drifted).success).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('exports as JSON Schema with the deprecation written down', () => {
    const v1 = z.toJSONSchema(CustomerV1Schema, { io: 'output', unrepresentable: 'any' }) as {
      properties: Record<string, unknown>;
    };
    expect(Object.keys(v1.properties)).toContain('creditLimit');
    const v2 = z.toJSONSchema(CustomerV2Schema, { io: 'output', unrepresentable: 'any' }) as {
      properties: Record<string, { description?: string }>;
    };
    expect(v2.properties.orderCount?.description).toBe('deprecated: use lifetimeOrderCount');
  });

  it('rejects what the contract rules out: blanks instead of null, upper-case e-mails, non-canonical money', () => {
    const c = customerFromLegacy(recorded[0]).value;
    expect(CustomerV1Schema.safeParse({ ...c, firstName: '  ' }).success).toBe(false);
    expect(CustomerV1Schema.safeParse({ ...c, email: 'Anna@example.com' }).success).toBe(false);
    for (const amount of ['1500', '1500.0', '01500.00', '-0.00', '1e3'])
      expect(CustomerV1Schema.safeParse({ ...c, creditLimit: { amount, currency: 'EUR' } }).success).toBe(false);
    expect(CustomerV1Schema.safeParse({ ...c, createdAt: '2019-03-12T13:15:00.500Z' }).success).toBe(false);
  });
});
