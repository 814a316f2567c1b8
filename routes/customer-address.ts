import { addressChangeFromLegacy, addressChangeToLegacy } from '../mappers/address.js';
import { customerFromLegacy } from '../mappers/customer.js';
import { idempotencyKeyFor, readClientJson, relayWrite } from './tickets-write.js';
import type { HandlerContext, NewHandler, NewResponse, SliceRequest } from './types.js';

/**
 * Modern `PUT /crm/customers/{id}/address` (slice `customers.address`): the client's body is read onto
 * AddressChangeV1 (a body outside it is the CRM's to answer: the pipeline falls back before any write), then commit,
 * one CRM write under an Idempotency-Key, and the CRM's answer relayed as it is. The CRM adapter serialises the
 * address itself, in the client's key order, so a compact client body reaches the CRM byte for byte.
 */
export const updateCustomerAddress: NewHandler = async (
  req: SliceRequest,
  ctx: HandlerContext,
): Promise<NewResponse> => {
  const id = req.params.id as string;
  const { value, carry } = addressChangeFromLegacy(readClientJson(req));
  const { key, fromClient } = idempotencyKeyFor(req);
  ctx.commit();
  const { response, json } = await ctx.adapters.crm.updateAddress(id, addressChangeToLegacy(value, carry), {
    idempotencyKey: key,
    signal: ctx.signal,
    headers: ctx.forwardHeaders,
  });
  if (json !== undefined) {
    try {
      const { carry: answered } = customerFromLegacy(json);
      if (answered.gaps.length) ctx.recordGaps(answered.gaps);
    } catch {
      // The CRM's answer is relayed as it is; whether it matches CustomerV1 is the shadow comparison's business.
    }
  }
  return relayWrite(response, fromClient);
};
