import { randomUUID } from 'node:crypto';
import type { CustomerV1 } from '../../contracts/v1/customer.js';
import { handoff, type IntentSpec, reply } from './types.js';

const YES = /^\s*(yes|yep|yeah|y|ja|jep|correct|confirm(ed)?|ok(ay)?|sure|please do)\b/i;
const NO = /^\s*(no|nope|nein|n|cancel|stop|don'?t)\b/i;
/** `Hauptstraße 5, 10115 Berlin` / `Baker Street 221B, 12345 Springfield`: street + number, postcode + city. */
const ADDRESS = /([\p{L}][\p{L}.'\- ]*?\s\d+[a-zA-Z]?)\s*,\s*(\d{4,5})\s+([\p{L}][\p{L}.'\- ]*[\p{L}])/u;

export function parseAddress(text: string, country: string | null): CustomerV1['address'] | null {
  const m = ADDRESS.exec(text);
  if (!m) return null;
  return { street: (m[1] as string).trim(), postalCode: m[2] as string, city: (m[3] as string).trim(), country };
}

const oneLine = (a: CustomerV1['address']) =>
  `${a.street}, ${a.postalCode} ${a.city}${a.country ? `, ${a.country}` : ''}`;

/**
 * Changing the delivery address is a write: the handler parses the new address, asks the customer to confirm
 * (a pending action with its own id), and only on "yes" commits and writes to the CRM with an idempotency key derived
 * from that id, so a retried confirmation can never apply twice.
 */
export const addressChange: IntentSpec = {
  intent: 'address_change',
  slice: 'intent.address_change',
  deadlineMs: 3_000,
  tools: ['getCustomer', 'updateAddress'],
  description: 'Address change with a confirmation turn and an idempotent CRM write.',
  async handle(ctx) {
    const r = (text: string, extra = {}) => reply(text, { intent: 'address_change', ...extra });
    if (ctx.pending && ctx.pending.intent === 'address_change') {
      const pending = ctx.pending;
      if (YES.test(ctx.text)) {
        if (ctx.dryRun || !ctx.tools.updateAddress)
          return r(`Your address has been changed to ${oneLine(pending.address)}.`);
        ctx.commit();
        await ctx.tools.updateAddress(pending.address, `address-change-${ctx.session.conversationId}-${pending.id}`);
        ctx.setPending(null);
        return r(
          `Done: your address is now ${oneLine(pending.address)}. Orders that have already shipped keep their old address.`,
        );
      }
      ctx.setPending(null);
      if (NO.test(ctx.text)) return r('Okay, I have not changed anything.');
      return handoff(
        'human_requested',
        'Customer wanted to change the address but did not confirm the parsed address.',
        {
          type: 'address_change',
          customerId: ctx.session.customerId,
          address: {
            street: pending.address.street,
            city: pending.address.city,
            zipCode: pending.address.postalCode,
            countryCode: pending.address.country,
          },
        },
      );
    }
    if (!ctx.tools.getCustomer || ctx.session.crmCustomerId === null) {
      return handoff(
        'human_requested',
        'Customer wants to change an address; the conversation is not linked to a customer record.',
      );
    }
    let customer: CustomerV1;
    try {
      customer = await ctx.tools.getCustomer();
    } catch {
      return handoff('tool_error', 'Customer wants to change the address; the CRM could not be read.');
    }
    const address = parseAddress(ctx.text, customer.address.country);
    if (!address)
      return r(
        'Sure. Please send me the new address as: street and house number, postcode and city (e.g. Hauptstraße 5, 10115 Berlin).',
      );
    ctx.setPending({ intent: 'address_change', id: randomUUID(), address, createdAt: ctx.now() });
    return r(`Please confirm: should I change your address to ${oneLine(address)}?`, {
      quickReplies: [{ label: 'Yes' }, { label: 'No' }],
    });
  },
};
