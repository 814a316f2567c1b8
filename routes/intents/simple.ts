import { handoff, type IntentSpec, reply } from './types.js';

/** Password help needs no customer data: instructions and the self-service link, nothing else. */
export const passwordReset: IntentSpec = {
  intent: 'password_reset',
  slice: 'intent.password_reset',
  deadlineMs: 1_000,
  tools: [],
  description: 'Self-service password reset instructions; no tools.',
  async handle() {
    const url = 'https://shop.example.com/account/reset-password';
    return reply(
      `You can reset your password here: ${url} — enter your email address and we will send you a link that is valid for 30 minutes. If the email does not arrive, check your spam folder.`,
      {
        intent: 'password_reset',
        actions: [{ type: 'link', label: 'Reset password', url }],
        quickReplies: [{ label: 'I did not get the email' }],
      },
    );
  },
};

/** The customer asked for a person (or a rule fired): hand off with the context package. */
export const talkToHuman: IntentSpec = {
  intent: 'talk_to_human',
  slice: 'intent.talk_to_human',
  deadlineMs: 1_000,
  tools: [],
  description: 'Hands the conversation to a human agent with the context package.',
  async handle(ctx) {
    const reason =
      ctx.classification.escalation === 'legal_threat'
        ? 'legal_threat'
        : ctx.classification.escalation === 'fraud_dispute'
          ? 'fraud_dispute'
          : ctx.classification.escalation === 'repeated_failure'
            ? 'repeated_failure'
            : 'human_requested';
    return handoff(reason, ctx.redacted.text);
  },
};

/** Outside what the automation does: legacy answers (and its agents), with the context package. */
export const outOfScope: IntentSpec = {
  intent: 'out_of_scope',
  slice: 'intent.out_of_scope',
  deadlineMs: 1_000,
  tools: [],
  description: 'Out of scope for automation: returned to legacy with the context package.',
  async handle(ctx) {
    return handoff('out_of_scope', ctx.redacted.text);
  },
};
