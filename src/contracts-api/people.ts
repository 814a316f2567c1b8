import { z } from 'zod';
import { CustomerV1Schema } from '../../contracts/v1/customer.js';
import { UserV1Schema } from '../../contracts/v1/user.js';
import { CustomerV2Schema, upgradeCustomer } from '../../contracts/v2/customer.js';
import { UserV2Schema, upgradeUser } from '../../contracts/v2/user.js';
import { customerFromLegacy } from '../../mappers/customer.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { userFromLegacy } from '../../mappers/user.js';
import { legacyStatusError, NoQuery } from './shared.js';
import type { ContractContext, ContractEndpoint } from './types.js';

const IdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict();
const id = (p: unknown) => String((p as z.infer<typeof IdParams>).id);

/** Ticketing users and CRM customers (user n ↔ customer 10000+n in the simulator's data). */
export function createPeopleEndpoints(opts: { timeZone: string }): ContractEndpoint[] {
  async function readUser(userId: string, ctx: ContractContext) {
    const { response, json } = await ctx.adapters.users.getUser(userId, {
      signal: ctx.signal,
      headers: ctx.forwardHeaders,
    });
    if (json === undefined) throw legacyStatusError(response.status, 'ticketing', 'user');
    const root = (json as { user?: unknown } | null)?.user;
    if (root === undefined) throw new MappingError('ticketing answer has no `user` root key');
    const { value, carry } = userFromLegacy(root);
    ctx.recordGaps(carry.gaps);
    return value;
  }
  async function readCustomer(customerId: string, ctx: ContractContext) {
    const { response, json } = await ctx.adapters.crm.getCustomer(customerId, {
      signal: ctx.signal,
      headers: ctx.forwardHeaders,
    });
    if (json === undefined) throw legacyStatusError(response.status, 'crm', 'customer');
    const { value, carry } = customerFromLegacy(json, { timeZone: opts.timeZone });
    ctx.recordGaps(carry.gaps);
    return value;
  }
  return [
    {
      id: 'contracts.v1.users.get',
      method: 'GET',
      version: 'v1',
      path: '/users/:id',
      params: IdParams,
      query: NoQuery,
      response: UserV1Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: await readUser(id(params), ctx) }),
    },
    {
      id: 'contracts.v2.users.get',
      method: 'GET',
      version: 'v2',
      path: '/users/:id',
      params: IdParams,
      query: NoQuery,
      response: UserV2Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: upgradeUser(await readUser(id(params), ctx)) }),
    },
    {
      id: 'contracts.v1.customers.get',
      method: 'GET',
      version: 'v1',
      path: '/customers/:id',
      params: IdParams,
      query: NoQuery,
      response: CustomerV1Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: await readCustomer(id(params), ctx) }),
    },
    {
      id: 'contracts.v2.customers.get',
      method: 'GET',
      version: 'v2',
      path: '/customers/:id',
      params: IdParams,
      query: NoQuery,
      response: CustomerV2Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: upgradeCustomer(await readCustomer(id(params), ctx)) }),
    },
  ];
}
