import { z } from 'zod';
import { OrderStatusV1Schema, OrderV1Schema } from '../../contracts/v1/order.js';
import { OrderStatusV2Schema, OrderV2Schema, upgradeOrder, upgradeOrderStatus } from '../../contracts/v2/order.js';
import { orderFromLegacy, orderStatusOf } from '../../mappers/order.js';
import { NoQuery } from './shared.js';
import type { ContractContext, ContractEndpoint } from './types.js';

/** Order ids as the order service knows them (A-1001); anything else never reaches legacy. */
const OrderParams = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'an order id like A-1001') }).strict();

export function createOrderEndpoints(opts: { timeZone: string }): ContractEndpoint[] {
  async function readOrder(id: string, ctx: ContractContext) {
    const { order } = await ctx.adapters.orders.getOrderStatus(id, { signal: ctx.signal, headers: ctx.forwardHeaders });
    const { value, carry } = orderFromLegacy(order, { timeZone: opts.timeZone });
    ctx.recordGaps(carry.gaps);
    return value;
  }
  const id = (p: unknown) => (p as z.infer<typeof OrderParams>).id;
  return [
    {
      id: 'contracts.v1.orders.get',
      method: 'GET',
      version: 'v1',
      path: '/orders/:id',
      params: OrderParams,
      query: NoQuery,
      response: OrderV1Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: await readOrder(id(params), ctx) }),
    },
    {
      id: 'contracts.v2.orders.get',
      method: 'GET',
      version: 'v2',
      path: '/orders/:id',
      params: OrderParams,
      query: NoQuery,
      response: OrderV2Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: upgradeOrder(await readOrder(id(params), ctx)) }),
    },
    {
      id: 'contracts.v1.orders.status',
      method: 'GET',
      version: 'v1',
      path: '/orders/:id/status',
      params: OrderParams,
      query: NoQuery,
      response: OrderStatusV1Schema,
      handle: async ({ params }, ctx) => ({ status: 200, body: orderStatusOf(await readOrder(id(params), ctx)) }),
    },
    {
      id: 'contracts.v2.orders.status',
      method: 'GET',
      version: 'v2',
      path: '/orders/:id/status',
      params: OrderParams,
      query: NoQuery,
      response: OrderStatusV2Schema,
      handle: async ({ params }, ctx) => ({
        status: 200,
        body: upgradeOrderStatus(orderStatusOf(await readOrder(id(params), ctx))),
      }),
    },
  ];
}
