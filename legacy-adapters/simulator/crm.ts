/**
 * The older CRM, mounted under /crm: UPPER_SNAKE JSON, every number a string, `YYYYMMDD HHmmss` timestamps, empty
 * strings for missing values, its own error shape (`ERROR_CD`/`ERROR_MSG`) and a Java-style content type. No
 * rate-limit headers. Customer 10000+n is platform user n.
 */
import { type BodyProblem, readJson } from './body.js';
import { type Ctx, isRecord, sendJson } from './http-util.js';
import { runWrite } from './idempotency.js';
import type { CrmAddress, CustomerRecord } from './seed-people.js';
import type { StoredResponse } from './state.js';

export const CRM_JSON_TYPE = 'application/json;charset=UTF-8';
const ADDRESS_FIELDS = ['STREET', 'CITY', 'ZIP_CD', 'COUNTRY_CD'] as const;
const MAX_FIELD = 60;

function crmError(ctx: Ctx, status: number, code: string, message: string): void {
  sendJson(ctx, status, { ERROR_CD: code, ERROR_MSG: message }, { contentType: CRM_JSON_TYPE });
}

function crmBodyProblem(ctx: Ctx, problem: BodyProblem): void {
  if (problem === 'too_large') crmError(ctx, 413, 'REQUEST_TOO_LARGE', 'REQUEST BODY TOO LARGE');
  else crmError(ctx, 400, 'INVALID_REQUEST', 'MALFORMED JSON');
}

function customerOf(ctx: Ctx): CustomerRecord | undefined {
  return ctx.state.customers.get(ctx.params.id ?? '');
}

function customerNotFound(ctx: Ctx): void {
  const id = (ctx.params.id ?? '').slice(0, 64).toUpperCase();
  crmError(ctx, 404, 'CUST_NOT_FOUND', `CUSTOMER ${id} NOT FOUND`);
}

export function showCustomer(ctx: Ctx): void {
  const customer = customerOf(ctx);
  if (customer === undefined) customerNotFound(ctx);
  else sendJson(ctx, 200, customer, { contentType: CRM_JSON_TYPE });
}

/** Returns the validated partial address or an error message in the CRM's shouting style. */
function parseAddress(value: unknown): Partial<CrmAddress> | string {
  const address = isRecord(value) ? value.ADDRESS : undefined;
  if (!isRecord(address)) return 'ADDRESS REQUIRED';
  const update: Partial<CrmAddress> = {};
  for (const field of ADDRESS_FIELDS) {
    const v = address[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') return `${field} MUST BE A STRING`;
    if (v.length > MAX_FIELD) return `${field} TOO LONG (MAX ${MAX_FIELD})`;
    update[field] = v;
  }
  if (update.COUNTRY_CD !== undefined && !/^[A-Z]{2}$/.test(update.COUNTRY_CD))
    return 'COUNTRY_CD MUST BE ISO 3166 ALPHA-2';
  return update;
}

export async function updateAddress(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx, crmBodyProblem);
  if (body === null) return;
  const update = parseAddress(body.value);
  runWrite(
    ctx,
    body.raw,
    (key) => {
      const customer = customerOf(ctx);
      if (customer === undefined) return { applied: false, send: () => customerNotFound(ctx) };
      if (typeof update === 'string')
        return { applied: false, send: () => crmError(ctx, 400, 'VALIDATION_ERROR', update) };
      customer.ADDRESS = { ...customer.ADDRESS, ...update };
      ctx.state.logWrite(`crm.address:${customer.CUSTOMER_ID}`, ctx.method, ctx.path, key);
      const response: StoredResponse = {
        status: 200,
        headers: {},
        body: Buffer.from(JSON.stringify(customer), 'utf8'),
        contentType: CRM_JSON_TYPE,
      };
      return { applied: true, response };
    },
    (c) => crmError(c, 400, 'DUPLICATE_REQUEST', 'IDEMPOTENCY KEY REUSED WITH DIFFERENT PAYLOAD'),
  );
}
