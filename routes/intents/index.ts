import type { Intent } from '../../src/ai/types.js';
import { addressChange } from './address-change.js';
import { faq } from './faq.js';
import { orderStatus } from './order-status.js';
import { refundEligibility } from './refund-eligibility.js';
import { outOfScope, passwordReset, talkToHuman } from './simple.js';
import type { IntentSpec } from './types.js';

/** One AI automation handler per intent; each is its own slice with its own flags, deadline and tool allowlist. */
export const INTENT_SPECS: Readonly<Record<Intent, IntentSpec>> = {
  order_status: orderStatus,
  password_reset: passwordReset,
  refund_eligibility: refundEligibility,
  address_change: addressChange,
  faq,
  talk_to_human: talkToHuman,
  out_of_scope: outOfScope,
};
