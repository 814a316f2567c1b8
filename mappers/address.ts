import { type AddressChangeV1, AddressChangeV1Schema } from '../contracts/v1/address-change.js';
import { MAX_NESTING, nestedTooDeep } from './common.js';
import type { Carry, Mapped } from './mapping-error.js';
import { RequestBodyError } from './ticket-write.js';

/**
 * CRM address change: `PUT /crm/customers/{id}/address` body `{"ADDRESS":{STREET?, CITY?, ZIP_CD?, COUNTRY_CD?}}` ↔
 * AddressChangeV1. Pure. The CRM's empty string ("no value") is the contract's `null`, as in mappers/customer.ts.
 * Anything the contract does not model is a RequestBodyError: such a request is the CRM's to answer.
 */
const FIELDS = [
  ['STREET', 'street'],
  ['CITY', 'city'],
  ['ZIP_CD', 'postalCode'],
  ['COUNTRY_CD', 'country'],
] as const satisfies ReadonlyArray<readonly [string, keyof AddressChangeV1]>;

const TO_CONTRACT = new Map<string, keyof AddressChangeV1>(FIELDS);
const TO_LEGACY = new Map<string, string>(FIELDS.map(([l, c]) => [c, l]));

/** The `ADDRESS` object the CRM adapter sends (crm.ts wraps it). */
export type CrmAddressFields = Partial<Record<(typeof FIELDS)[number][0], string>>;

/** Legacy request body → AddressChangeV1. The carry keeps the client's key order. */
export function addressChangeFromLegacy(payload: unknown): Mapped<AddressChangeV1> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new RequestBodyError('request body is not an object');
  if (nestedTooDeep(payload)) throw new RequestBodyError(`request body is nested more than ${MAX_NESTING} levels deep`);
  const body = payload as Record<string, unknown>;
  const issues = Object.keys(body)
    .filter((k) => k !== 'ADDRESS')
    .map((k) => `${k}: not modelled by AddressChangeV1`);
  const src = body.ADDRESS;
  if (typeof src !== 'object' || src === null || Array.isArray(src))
    throw new RequestBodyError('request body has no `ADDRESS` object');
  const address = src as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(address)) {
    const target = TO_CONTRACT.get(key);
    const v = address[key];
    if (target === undefined) issues.push(`ADDRESS.${key}: not modelled by AddressChangeV1`);
    // JSON null is not the contract's null: the CRM takes strings only and answers it with 400 (MUST BE A STRING).
    else if (v === null) issues.push(`ADDRESS.${key}: null (the CRM takes strings only; "" clears a field)`);
    // The CRM's "" is "no value"; for the country it is not a code at all, so it stays "" and fails validation.
    else out[target] = v === '' && target !== 'country' ? null : v;
  }
  const parsed = AddressChangeV1Schema.safeParse(out);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const [head, ...rest] = i.path.map(String);
      issues.push(`ADDRESS.${[TO_LEGACY.get(head ?? '') ?? head, ...rest].join('.')}: ${i.message}`);
    }
  }
  if (issues.length > 0) throw new RequestBodyError('request body does not match AddressChangeV1', issues);
  return { value: parsed.data as AddressChangeV1, carry: { order: Object.keys(address), extra: {}, gaps: [] } };
}

/** AddressChangeV1 → the CRM's `ADDRESS` object (`null` clears a field: ""), in the client's key order if known. */
export function addressChangeToLegacy(change: AddressChangeV1, carry?: Carry): CrmAddressFields {
  const out: CrmAddressFields = {};
  const order = [...(carry?.order ?? []), ...FIELDS.map(([l]) => l)];
  for (const key of order) {
    const c = TO_CONTRACT.get(key);
    if (c === undefined || Object.hasOwn(out, key)) continue;
    const v = change[c];
    if (v !== undefined) out[key as keyof CrmAddressFields] = v ?? '';
  }
  return out;
}
