import { BotReplyV1Schema } from '../../contracts/v1/bot-reply.js';
import { botReplyFromLegacy } from '../../mappers/bot-reply.js';
import type { IntentOutcome } from '../../routes/intents/types.js';
import { nameComparison } from '../shadow/compare-protocol.js';
import type { ContractSide, SchemaIssue, SliceComparison, WireAnswer } from '../shadow/types.js';

/**
 * How an intent slice's shadow run is compared: legacy's bot answer (mapped by botReplyFromLegacy) and the
 * automation's outcome, both on the BotReplyV1 contract. Free text by similarity (AI wording differs from the legacy
 * bot's and that is fine); what decides what happens next — intent, actions, whether a person takes over — strictly.
 */
export function botReplyComparison(textThreshold: number): SliceComparison {
  return nameComparison(`bot-reply:${textThreshold}`, {
    contract: 'BotReplyV1',
    toContract(answer: WireAnswer, side): ContractSide {
      try {
        if (side === 'legacy') return view(botReplyFromLegacy(answer.json).value);
        const out = answer.json as IntentOutcome;
        if (out?.kind === 'handoff')
          return {
            ok: true,
            value: { text: null, intent: null, actions: [], quickReplies: [], handoff: true },
            unmodelled: {},
          };
        const parsed = BotReplyV1Schema.safeParse(out?.reply);
        if (!parsed.success)
          return { ok: false, issues: parsed.error.issues.map((i) => issue(side, i.path, i.message)) };
        return view(parsed.data);
      } catch (err) {
        return { ok: false, issues: [issue(side, [], (err as Error).message)] };
      }
    },
    fields: {
      text: { comparator: 'text', threshold: textThreshold },
      intent: { comparator: 'strict' },
      actions: { comparator: 'strict' },
      quickReplies: { comparator: 'set' },
      handoff: { comparator: 'strict' },
    },
  });
}

function view(r: {
  text: string;
  intent?: string | undefined;
  actions: unknown[];
  quickReplies: unknown[];
  handoff: unknown;
}): ContractSide {
  const handoff = r.handoff !== null && r.handoff !== undefined;
  return {
    ok: true,
    // A handoff's text is the holding line, not an answer: only the fact of the handoff is compared.
    value: {
      text: handoff ? null : r.text,
      intent: handoff ? null : (r.intent ?? null),
      actions: r.actions,
      quickReplies: r.quickReplies,
      handoff,
    },
    unmodelled: {},
  };
}

function issue(side: 'legacy' | 'candidate', path: readonly PropertyKey[], message: string): SchemaIssue {
  return { side, path: path.map(String).join('.'), message };
}
