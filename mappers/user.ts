import { IsoDateTime } from '../contracts/common.js';
import { type UserV1, UserV1Schema } from '../contracts/v1/user.js';
import { asObject, checkNesting, emptyToNull, phoneToE164 } from './common.js';
import {
  type Field,
  hasOriginals,
  type LegacyOriginal,
  mapFields,
  noteOriginals,
  type OriginalsCarry,
  renderFields,
  requirePresent,
  unmodelled,
  validated,
} from './legacy-fields.js';
import { type Carry, type Mapped, MappingError } from './mapping-error.js';

/**
 * Ticketing (Zendesk-style) user (`GET /api/v2/users/{id}` → `{"user":{…}}`) ↔ UserV1. Pure.
 * - Phones are free-form in the ticketing system (`0711/555123`, `(555) 010-1234`): parsed to E.164 with the region of
 *   the user's `locale` as the default (likely subtags: `de` → DE, `en-US` → US); numbers with `+` need none.
 * - E-mails are lower-cased (as for CRM customers, so the two systems compare equal).
 * - Timestamps are ISO already; one with an offset (`+01:00`) is normalised to UTC `Z`.
 * Legacy spellings the contract normalises are kept in the carry and rendered again while the value is unchanged
 * (mappers/legacy-fields.ts), so the rendered answer is byte-identical to legacy's.
 */

interface Ctx {
  /** Default phone region (ISO 3166-1 alpha-2), from the locale. */
  region: string | null;
}

const same = (legacy: string, key: keyof UserV1, nullable = false): Field<UserV1, Ctx> => ({
  legacy,
  key,
  // A nullable key legacy leaves out means "no value"; a required one stays undefined and fails the schema.
  from: (v) => (nullable && v === undefined ? null : v),
  to: (u) => u[key],
});

const timestamp = (
  legacy: string,
  key: 'createdAt' | 'updatedAt' | 'lastLoginAt',
  required: boolean,
): Field<UserV1, Ctx> => ({
  legacy,
  key,
  from: (v, p) => (required ? requirePresent(isoToUtc(v, p), p) : isoToUtc(v, p)),
  to: (u) => u[key],
});

/** Zendesk's own key order: rendering without a carry uses it. */
const FIELDS: readonly Field<UserV1, Ctx>[] = [
  same('url', 'url'),
  same('id', 'id'),
  same('name', 'name'),
  {
    legacy: 'email',
    key: 'email',
    from: (v, p) => emptyToNull(v, p)?.trim().toLowerCase() ?? null,
    to: (u) => u.email,
  },
  timestamp('created_at', 'createdAt', true),
  timestamp('updated_at', 'updatedAt', true),
  same('time_zone', 'timeZone'),
  same('iana_time_zone', 'ianaTimeZone'),
  { legacy: 'phone', key: 'phone', from: (v, p, ctx) => phoneToE164(v, p, ctx.region), to: (u) => u.phone },
  same('locale', 'locale'),
  same('locale_id', 'localeId'),
  same('organization_id', 'organizationId', true),
  same('role', 'role'),
  same('verified', 'verified'),
  same('external_id', 'externalId', true),
  same('tags', 'tags'),
  same('active', 'active'),
  timestamp('last_login_at', 'lastLoginAt', false),
];

const KNOWN = new Set(FIELDS.map((f) => f.legacy));
const CANONICAL_ORDER = FIELDS.map((f) => f.legacy);
const LEGACY_KEY = new Map<string, string>(FIELDS.map((f) => [f.key, f.legacy]));
const legacyPath = (p: string[]): string => [LEGACY_KEY.get(p[0] ?? '') ?? p[0], ...p.slice(1)].join('.');

/** The default phone region a locale implies, or null (an invalid locale or a numeric region like `419`). */
export function regionOfLocale(locale: unknown): string | null {
  if (typeof locale !== 'string' || locale === '') return null;
  try {
    const region = new Intl.Locale(locale).maximize().region;
    return region !== undefined && /^[A-Z]{2}$/.test(region) ? region : null;
  } catch {
    return null;
  }
}

const OFFSET_TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?)([+-])(\d{2}):?(\d{2})$/;

/** ISO 8601 → UTC `Z` form. Already-UTC values pass unchanged (the schema validates them); empty → null. */
function isoToUtc(v: unknown, path: string): string | null {
  const s = emptyToNull(v, path);
  if (s === null || s.endsWith('Z')) return s;
  const m = OFFSET_TS.exec(s);
  const [, local = '', fraction, sign, hh = '', mm = ''] = m ?? [];
  if (!m || !IsoDateTime.safeParse(`${local}Z`).success || Number(hh) > 23 || Number(mm) > 59) {
    throw new MappingError(`${path} is not an ISO 8601 timestamp`, [`${path}: ${JSON.stringify(s.slice(0, 40))}`]);
  }
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) * 60_000;
  const iso = new Date(Date.parse(`${local}Z`) - offsetMs).toISOString();
  return fraction === undefined ? iso.replace('.000Z', 'Z') : iso;
}

/** A ticketing user object (the value of `user`) → UserV1. Throws MappingError only, listing every broken field. */
export function userFromLegacy(payload: unknown, path = 'user'): Mapped<UserV1> & { carry: OriginalsCarry } {
  const src = asObject(payload, path);
  checkNesting(src, path);
  const gaps: string[] = [];
  const issues: string[] = [];
  const extra = unmodelled(src, KNOWN, path, gaps);
  const ctx: Ctx = { region: regionOfLocale(src.locale) };
  const out = mapFields(FIELDS, src, path, ctx, issues);
  const value = validated(UserV1Schema, out, issues, path, legacyPath, 'UserV1');
  const originals: Record<string, LegacyOriginal> = {};
  noteOriginals(FIELDS, src, value, ctx, '', originals);
  return { value, carry: { order: Object.keys(src), extra, gaps, originals } };
}

/** UserV1 → ticketing wire object: Zendesk's key order, carried-through fields and legacy spellings back in place. */
export function userToLegacy(u: UserV1, carry?: Carry): Record<string, unknown> {
  const ctx: Ctx = { region: regionOfLocale(u.locale) };
  const originals = hasOriginals(carry) ? carry.originals : {};
  // fromEntries, not assignment: a carried key named "__proto__" must stay a plain own property.
  return Object.fromEntries(renderFields(FIELDS, u, ctx, carry ?? { order: CANONICAL_ORDER, extra: {} }, originals));
}

/** Wire body of `GET /api/v2/users/{id}` exactly as legacy renders it. */
export function renderUserResponse(u: UserV1, carry?: Carry): string {
  return JSON.stringify({ user: userToLegacy(u, carry) });
}
