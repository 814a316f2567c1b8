import type { OrderV1 } from '../../contracts/v1/order.js';
import { findOrderId, handoff, type IntentSpec, reply } from './types.js';

const STATUS_TEXT: Record<OrderV1['status'], string> = {
  processing: 'is being prepared in our warehouse',
  on_hold: 'is on hold',
  shipped: 'has shipped',
  delivered: 'has been delivered',
  cancelled: 'was cancelled',
};

/** Deterministic wording: facts from the order service only, nothing the model could invent. */
export function describeOrder(o: OrderV1): string {
  const parts = [`Your order ${o.id} ${STATUS_TEXT[o.status]}.`];
  if (o.status === 'shipped' && o.carrier) {
    parts.push(
      `It is on its way with ${o.carrier}${o.trackingNumber ? ` (tracking number ${o.trackingNumber})` : ''}.`,
    );
  }
  if (o.estimatedDelivery && (o.status === 'processing' || o.status === 'shipped')) {
    parts.push(`Estimated delivery: ${o.estimatedDelivery}.`);
  }
  if (o.status === 'on_hold') parts.push('Our team is looking into it and will contact you by email.');
  return parts.join(' ');
}

/** "Where is my order?": reads the order service (SOAP) for an order of the session's customer. */
export const orderStatus: IntentSpec = {
  intent: 'order_status',
  slice: 'intent.order_status',
  deadlineMs: 2_500,
  tools: ['getOrder'],
  description: 'Order status from the SOAP order service, for orders of the conversation’s own customer.',
  async handle(ctx) {
    const orderId = findOrderId(ctx.text);
    if (!orderId) {
      return reply(
        'I can check that for you. What is your order number? It looks like A-1234 and is in your confirmation email.',
        {
          intent: 'order_status',
        },
      );
    }
    const getOrder = ctx.tools.getOrder;
    if (!getOrder) return handoff('tool_error', `Order status for ${orderId}: tool not available`);
    let order: OrderV1 | null;
    try {
      order = await getOrder(orderId);
    } catch {
      return handoff('tool_error', `Customer asks for the status of order ${orderId}; the order service failed.`);
    }
    if (!order) {
      return reply(
        `I could not find an order ${orderId} on your account. Please check the number in your confirmation email.`,
        {
          intent: 'order_status',
        },
      );
    }
    return reply(describeOrder(order), {
      intent: 'order_status',
      actions: [{ type: 'lookup', resource: 'order', id: order.id }],
    });
  },
};
