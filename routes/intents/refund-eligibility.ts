import type { OrderV1 } from '../../contracts/v1/order.js';
import { findOrderId, handoff, type IntentOutcome, type IntentSpec, reply } from './types.js';

export const RETURN_WINDOW_DAYS = 30;
const RETURNS_URL = 'https://shop.example.com/returns';

export type RefundDecision =
  | { kind: 'eligible'; amount: OrderV1['total']; windowEnds: string }
  | { kind: 'window_closed'; windowEnded: string }
  | { kind: 'not_yet_delivered' }
  | { kind: 'cancel_before_shipping' }
  | { kind: 'already_refunded' }
  | { kind: 'needs_review' };

/**
 * The refund policy, deterministic: a model never decides who gets money. Delivered orders can be returned for up
 * to their total within 30 days of delivery (the order service only knows the estimated delivery date, which is
 * used as the delivery date); cancelled orders are refunded automatically; everything else goes to a person.
 */
export function refundDecision(o: OrderV1, now: number): RefundDecision {
  switch (o.status) {
    case 'cancelled':
      return { kind: 'already_refunded' };
    case 'processing':
      return { kind: 'cancel_before_shipping' };
    case 'shipped':
      return { kind: 'not_yet_delivered' };
    case 'on_hold':
      return { kind: 'needs_review' };
    case 'delivered': {
      if (!o.estimatedDelivery) return { kind: 'needs_review' };
      const ends = Date.parse(`${o.estimatedDelivery}T23:59:59Z`) + RETURN_WINDOW_DAYS * 86_400_000;
      const date = new Date(ends).toISOString().slice(0, 10);
      return now <= ends
        ? { kind: 'eligible', amount: o.total, windowEnds: date }
        : { kind: 'window_closed', windowEnded: date };
    }
  }
}

export function explainRefund(o: OrderV1, d: RefundDecision): IntentOutcome {
  const r = (text: string, extra = {}) => reply(text, { intent: 'refund_eligibility', ...extra });
  switch (d.kind) {
    case 'eligible':
      return r(
        `Order ${o.id} can be returned until ${d.windowEnds}. Once the items are back with us you get a refund of up to ${d.amount.amount} ${d.amount.currency} to your original payment method. Start the return here: ${RETURNS_URL}`,
        { actions: [{ type: 'link', label: 'Start a return', url: RETURNS_URL }] },
      );
    case 'window_closed':
      return r(
        `The ${RETURN_WINDOW_DAYS}-day return window for order ${o.id} ended on ${d.windowEnded}, so it can no longer be returned for a refund. If an item is faulty, a colleague can check a warranty claim for you.`,
        { quickReplies: [{ label: 'Talk to an agent' }] },
      );
    case 'not_yet_delivered':
      return r(
        `Order ${o.id} is on its way. After delivery you have ${RETURN_WINDOW_DAYS} days to return it for a refund.`,
      );
    case 'already_refunded':
      return r(`Order ${o.id} was cancelled. Any payment is refunded automatically to your original payment method.`);
    case 'cancel_before_shipping':
      return handoff(
        'human_requested',
        `Customer asks about a refund for order ${o.id}, which has not shipped yet: cancel it?`,
        { type: 'refund', orderId: o.id },
      );
    case 'needs_review':
      return handoff(
        'human_requested',
        `Customer asks about a refund for order ${o.id} (status ${o.status}): needs review.`,
        { type: 'refund', orderId: o.id },
      );
  }
}

/** "Can I get my money back?": order facts from the order service, the decision from the policy above. */
export const refundEligibility: IntentSpec = {
  intent: 'refund_eligibility',
  slice: 'intent.refund_eligibility',
  deadlineMs: 2_500,
  tools: ['getOrder'],
  description: 'Refund eligibility by deterministic policy (30-day window); never promises money outside it.',
  async handle(ctx) {
    const orderId = findOrderId(ctx.text);
    if (!orderId)
      return reply('Which order is it about? Please send the order number (it looks like A-1234).', {
        intent: 'refund_eligibility',
      });
    let order: OrderV1 | null;
    try {
      order = (await ctx.tools.getOrder?.(orderId)) ?? null;
    } catch {
      return handoff('tool_error', `Customer asks about a refund for order ${orderId}; the order service failed.`, {
        type: 'refund',
        orderId,
      });
    }
    if (!order)
      return reply(`I could not find an order ${orderId} on your account. Please check the number.`, {
        intent: 'refund_eligibility',
      });
    return explainRefund(order, refundDecision(order, ctx.now()));
  },
};
