import { type AddressV1, type CustomerV1, CustomerV1Schema } from '../contracts/v1/customer.js';
import {
  asObject,
  checkNesting,
  codeToEnum,
  decimalString,
  emptyToNull,
  enumToCode,
  isoToLegacyTimestamp,
  legacyTimestampToIso,
  phoneToE164,
  stringToNumber,
} from './common.js';
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
 * CRM customer (`GET /crm/customers/{id}`) ↔ CustomerV1. Pure.
 * - Timestamps are the CRM's wall clock in `timeZone`, default Europe/Berlin: the CRM runs on the shop's local time.
 *   (The simulator writes its CRM clock in UTC; pass `timeZone: 'UTC'` against it to line customers up with users.)
 * - CREDIT_LIMIT has no currency in the CRM; it is kept in the currency the shop bills the customer's country in:
 *   USD for US, GBP for GB, EUR otherwise (the order service's rule). A contract value in any other currency cannot be
 *   stored, so rendering it is a MappingError rather than a silent conversion.
 * - Phones are parsed with ADDRESS.COUNTRY_CD as the default region; e-mails are lower-cased.
 * Legacy spellings the contract normalises (`0171 2345678`, `"1500"`, an upper-cased e-mail, a key legacy omitted)
 * are kept in the carry and rendered again while the contract value is unchanged, so answers stay byte-identical.
 */
export const CRM_TIME_ZONE = 'Europe/Berlin';

export interface CustomerMapOptions {
  /** IANA zone of the CRM's `YYYYMMDD HHmmss` timestamps (default Europe/Berlin). */
  timeZone?: string;
  /** Currency of CREDIT_LIMIT for a country (default crmCurrencyFor). */
  currencyFor?: (country: string | null) => string;
}

export function crmCurrencyFor(country: string | null): string {
  return country === 'US' ? 'USD' : country === 'GB' ? 'GBP' : 'EUR';
}

export interface CustomerCarry extends OriginalsCarry {
  /** ADDRESS's own key order and unmodelled keys (reported as `customer.ADDRESS.<KEY>` gaps). */
  address: { order: string[]; extra: Record<string, unknown> };
}

interface Ctx {
  timeZone: string;
  country: string | null;
  currency: string;
}

const STATUS = { A: 'active', I: 'inactive', S: 'suspended' } as const;
const FLAG = { Y: 'yes', N: 'no' } as const;

const text = (legacy: string, key: 'firstName' | 'lastName'): Field<CustomerV1, Ctx> => ({
  legacy,
  key,
  from: (v, p) => emptyToNull(v, p),
  to: (c) => c[key] ?? '',
});

const timestamp = (legacy: string, key: 'createdAt' | 'lastContactAt', required: boolean): Field<CustomerV1, Ctx> => ({
  legacy,
  key,
  // An ambiguous wall time (the repeated hour in autumn) resolves to the later instant; one in the spring gap moves
  // forward by the gap (mappers/common.ts).
  from: (v, p, ctx) => {
    const iso = legacyTimestampToIso(v, p, ctx.timeZone);
    return required ? requirePresent(iso, p) : iso;
  },
  to: (c, ctx) => isoToLegacyTimestamp(c[key], { timeZone: ctx.timeZone }),
});

/** Legacy order: rendering without a carry uses it. */
const FIELDS: readonly Field<CustomerV1, Ctx>[] = [
  {
    legacy: 'CUSTOMER_ID',
    key: 'id',
    from: (v, p) => requirePresent(stringToNumber(v, p, { integer: true }), p),
    to: (c) => String(c.id),
  },
  text('FIRST_NAME', 'firstName'),
  text('LAST_NAME', 'lastName'),
  {
    legacy: 'EMAIL_ADDR',
    key: 'email',
    from: (v, p) => emptyToNull(v, p)?.trim().toLowerCase() ?? null,
    to: (c) => c.email ?? '',
  },
  { legacy: 'PHONE_NO', key: 'phone', from: (v, p, ctx) => phoneToE164(v, p, ctx.country), to: (c) => c.phone ?? '' },
  { legacy: 'CREDIT_LIMIT', key: 'creditLimit', from: moneyFrom, to: moneyTo },
  {
    legacy: 'ORDER_COUNT',
    key: 'orderCount',
    from: (v, p) => stringToNumber(v, p, { integer: true }),
    to: (c) => (c.orderCount === null ? '' : String(c.orderCount)),
  },
  timestamp('CREATED_TS', 'createdAt', true),
  timestamp('LAST_CONTACT_TS', 'lastContactAt', false),
  {
    legacy: 'STATUS_CD',
    key: 'status',
    from: (v, p) => codeToEnum(stringOnly(v, p), STATUS, p),
    to: (c) => enumToCode(c.status, STATUS),
  },
  {
    legacy: 'VIP_FLG',
    key: 'vip',
    from: (v, p) => codeToEnum(stringOnly(v, p), FLAG, p) === 'yes',
    to: (c) => (c.vip ? 'Y' : 'N'),
  },
];

const ADDRESS_FIELDS: readonly Field<AddressV1, Ctx>[] = [
  { legacy: 'STREET', key: 'street', from: (v, p) => emptyToNull(v, p), to: (a) => a.street ?? '' },
  { legacy: 'CITY', key: 'city', from: (v, p) => emptyToNull(v, p), to: (a) => a.city ?? '' },
  { legacy: 'ZIP_CD', key: 'postalCode', from: (v, p) => emptyToNull(v, p), to: (a) => a.postalCode ?? '' },
  {
    legacy: 'COUNTRY_CD',
    key: 'country',
    from: (v, p) => emptyToNull(v, p)?.trim().toUpperCase() ?? null,
    to: (a) => a.country ?? '',
  },
];

const TOP_KEYS = new Set([...FIELDS.map((f) => f.legacy), 'ADDRESS']);
const ADDRESS_KEYS = new Set(ADDRESS_FIELDS.map((f) => f.legacy));
const CANONICAL_ORDER = [...FIELDS.map((f) => f.legacy), 'ADDRESS'];
const LEGACY_PATH = new Map<string, string>([
  ...FIELDS.map((f) => [f.key, f.legacy] as const),
  ...ADDRESS_FIELDS.map((f) => [`address.${f.key}`, `ADDRESS.${f.legacy}`] as const),
]);
/** `creditLimit.amount` → CREDIT_LIMIT, `address.country` → ADDRESS.COUNTRY_CD. */
const legacyPath = (p: string[]): string =>
  LEGACY_PATH.get(p.slice(0, 2).join('.')) ?? LEGACY_PATH.get(p[0] ?? '') ?? p.join('.');

/** codeToEnum quotes the bad value with JSON.stringify, which throws on a BigInt: only strings get that far. */
function stringOnly(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new MappingError(`${path} is not a code`, [`${path}: got ${typeof v}`]);
  return v;
}

function moneyFrom(v: unknown, path: string, ctx: Ctx): unknown {
  const d = decimalString(v, path, 2);
  if (d === null) return null;
  // decimalString keeps the integer digits as sent ("0015", ".5"); the contract wants them canonical.
  const negative = d.startsWith('-');
  const [int = '', frac = ''] = d.replace(/^[-+]/, '').split('.');
  const amount = `${int.replace(/^0+(?=\d)/, '') || '0'}.${frac}`;
  return { amount: negative && /[1-9]/.test(amount) ? `-${amount}` : amount, currency: ctx.currency };
}

function moneyTo(c: CustomerV1, ctx: Ctx): string {
  if (c.creditLimit === null) return '';
  if (c.creditLimit.currency !== ctx.currency) {
    throw new MappingError('customer.CREDIT_LIMIT cannot hold this currency', [
      `customer.CREDIT_LIMIT: ${c.creditLimit.currency} given, the CRM keeps ${ctx.currency} for country ${c.address.country ?? '(none)'}`,
    ]);
  }
  return c.creditLimit.amount;
}

function ctxOf(country: string | null, opts: CustomerMapOptions): Ctx {
  return { timeZone: opts.timeZone ?? CRM_TIME_ZONE, country, currency: (opts.currencyFor ?? crmCurrencyFor)(country) };
}

/** CRM customer JSON → CustomerV1. Throws MappingError only, listing every broken legacy field. */
export function customerFromLegacy(
  payload: unknown,
  opts: CustomerMapOptions = {},
): Mapped<CustomerV1> & { carry: CustomerCarry } {
  const src = asObject(payload, 'customer');
  checkNesting(src, 'customer');
  const gaps: string[] = [];
  const issues: string[] = [];
  const extra = unmodelled(src, TOP_KEYS, 'customer', gaps);
  const rawAddress = src.ADDRESS;
  let addrSrc: Record<string, unknown> = {};
  if (rawAddress !== undefined && rawAddress !== null) {
    if (typeof rawAddress === 'object' && !Array.isArray(rawAddress)) addrSrc = rawAddress as Record<string, unknown>;
    else issues.push(`customer.ADDRESS: not an object`);
  }
  const address = { order: Object.keys(addrSrc), extra: unmodelled(addrSrc, ADDRESS_KEYS, 'customer.ADDRESS', gaps) };
  const addr = mapFields(ADDRESS_FIELDS, addrSrc, 'customer.ADDRESS', ctxOf(null, opts), issues);
  const country = typeof addr.country === 'string' ? addr.country : null;
  const ctx = ctxOf(country, opts);
  const out = { ...mapFields(FIELDS, src, 'customer', ctx, issues), address: addr };
  const value = validated(CustomerV1Schema, out, issues, 'customer', legacyPath, 'CustomerV1');
  const originals: Record<string, LegacyOriginal> = {};
  noteOriginals(FIELDS, src, value, ctx, '', originals);
  const carry: CustomerCarry = { order: Object.keys(src), extra, gaps, address, originals };
  if (rawAddress === undefined || rawAddress === null) {
    // No ADDRESS object: its fields have no legacy spelling of their own, only the whole (missing) object has.
    const rendered = JSON.stringify(renderAddress(value.address, ctx, carry));
    originals.ADDRESS = { raw: rawAddress, absent: rawAddress === undefined, rendered };
  } else noteOriginals(ADDRESS_FIELDS, addrSrc, value.address, ctx, 'ADDRESS.', originals);
  return { value, carry };
}

/**
 * A CRM customer's first and last name exactly as `customerFromLegacy` maps them (blank → null), without mapping the
 * rest (phones through libphonenumber, timestamps, money): for callers that only show the name. A payload whose other
 * fields break the legacy schema still has a name here. Throws MappingError for a non-object or a non-string name.
 */
export function customerNameFromLegacy(payload: unknown): Pick<CustomerV1, 'firstName' | 'lastName'> {
  const src = asObject(payload, 'customer');
  return {
    firstName: emptyToNull(src.FIRST_NAME, 'customer.FIRST_NAME'),
    lastName: emptyToNull(src.LAST_NAME, 'customer.LAST_NAME'),
  };
}

function renderAddress(a: AddressV1, ctx: Ctx, carry: CustomerCarry | undefined): Record<string, unknown> {
  const own = carry?.address ?? { order: ADDRESS_FIELDS.map((f) => f.legacy), extra: {} };
  return Object.fromEntries(renderFields(ADDRESS_FIELDS, a, ctx, own, carry?.originals ?? {}, 'ADDRESS.'));
}

/** CustomerV1 → CRM wire object: legacy key order, carried-through fields and legacy spellings back in place. */
export function customerToLegacy(c: CustomerV1, carry?: Carry, opts: CustomerMapOptions = {}): Record<string, unknown> {
  const ctx = ctxOf(c.address.country, opts);
  const full = hasOriginals(carry) && 'address' in carry ? (carry as CustomerCarry) : undefined;
  const entries = renderFields(
    FIELDS,
    c,
    ctx,
    carry ?? { order: CANONICAL_ORDER, extra: {} },
    full?.originals ?? {},
    '',
    {
      ADDRESS: () => renderAddress(c.address, ctx, full),
    },
  );
  // fromEntries, not assignment: a carried key named "__proto__" must stay a plain own property.
  return Object.fromEntries(entries);
}

/** Wire body of `GET /crm/customers/{id}` exactly as the CRM renders it. */
export function renderCustomerResponse(c: CustomerV1, carry?: Carry, opts: CustomerMapOptions = {}): string {
  return JSON.stringify(customerToLegacy(c, carry, opts));
}

export type CrmAddressUpdate = Partial<Record<'STREET' | 'CITY' | 'ZIP_CD' | 'COUNTRY_CD', string>>;

/** Contract address (whole or partial) → the `ADDRESS` of `PUT /crm/customers/{id}/address`; null clears a field. */
export function addressToLegacy(address: Partial<AddressV1>): CrmAddressUpdate {
  const out: CrmAddressUpdate = {};
  if (address.street !== undefined) out.STREET = address.street ?? '';
  if (address.city !== undefined) out.CITY = address.city ?? '';
  if (address.postalCode !== undefined) out.ZIP_CD = address.postalCode ?? '';
  if (address.country !== undefined) out.COUNTRY_CD = address.country ?? '';
  return out;
}
