import { normalizeText, tokenize } from './classifier/normalize.js';
import type { EscalationSignal } from './types.js';

/**
 * Deterministic escalation signals. They run before any model and end in a handoff to a human, because the cost of
 * missing one (a legal threat answered by a bot, a fraud report treated as a refund question) is far higher than
 * an agent reading a message that did not need them. Matching runs on normalised text (lowercase, diacritics
 * folded, punctuation stripped), so "Mitarbeiter!" and "mitarbeiter" match alike.
 *
 * Decisions worth knowing:
 * - "I'm not a lawyer but …" is a disclaimer, not a threat: the phrase alone does not fire, but any other legal term
 *   in the same message does ("I'm not a lawyer but this is illegal" → legal_threat).
 * - "human resources", "human error", "are you a human?" are not requests for a human.
 * - "charged twice" is a billing error (refund_eligibility), not fraud; "a charge I didn't make" is fraud.
 * - A package stolen from the doorstep is a delivery problem; a stolen card or a hacked account is fraud.
 * - A negated request ("no need for an agent, just tell me …") does not fire.
 */

/** What the conversation so far says, as far as escalation cares. */
export interface ConversationHistory {
  /** The customer's earlier messages in this conversation, oldest first, without the current one. */
  previousCustomerTexts?: readonly string[];
  /** Bot turns in a row, just before this one, that failed (unsure, tool error, customer said it did not help). */
  failedTurns?: number;
}

export interface EscalationOptions {
  /** This many failed bot turns in a row → repeated_failure. */
  maxFailedTurns: number;
  /** The same message (near-)verbatim this many times, the current one included → repeated_failure. */
  repeatThreshold: number;
  /** Token Jaccard from which two messages count as the same message. */
  repeatSimilarity: number;
}

export const DEFAULT_ESCALATION_OPTIONS: EscalationOptions = {
  maxFailedTurns: 2,
  repeatThreshold: 2,
  repeatSimilarity: 0.8,
};

const LEGAL: readonly RegExp[] = [
  /\b(lawyer|lawyers|attorney|attorneys|solicitor|anwalt|rechtsanwalt|anwaltin|lawsuit|litigation)\b/,
  /\b(sue|suing)\s+(you|u|your|them|the company|this|ya)\b|\b(will|going to|gonna|shall|ll)\s+sue\b|\bsuing\b/,
  /\b(to|in|into|at|before)\s+court\b|\bcourt\s+(case|order|action)\b|\bsmall claims\b|\bvor gericht\b/,
  /\blegal\s+(action|actions|steps|proceedings|department)\b|\brechtliche\w*\s+schritte\b/,
  /\b(police|polizei|anzeige erstatten|strafanzeige)\b/,
  /\b(consumer protection|verbraucherzentrale|trading standards|ombudsman|illegal|against the law)\b/,
  /\bconsumer (law|rights)\b|\bviolat\w*\s+(the\s+|my\s+|consumer\s+)?(law|rights)\b/,
  /\b(kill|hurt|shoot|stab|beat up) (you|u|all of you)\b|\bbomb\b|\bburn (down )?(your|the) (store|shop|office|warehouse)\b/,
  /\b(will|gonna|going to|ll) (find|get) (you|u)\b|\b(come|coming) (after|for) (you|u)\b/,
];

const FRAUD: readonly RegExp[] = [
  /\b(fraud|fraudulent|fraudster|betrug|betruger|scam|scams|scammed|scammer|scammers|phishing)\b/,
  /\b(chargeback|chargebacks|charge back|ruckbuchung)\b/,
  /\b(dispute|disputing|disputed)\b.*\b(charge|payment|transaction|bank|card|purchase)\b|\b(bank|card)\b.*\bdisput\w*\b/,
  /\bunauthori[sz]ed\b|\bnot authori[sz]ed\b|\b(didnt|did not|never)\s+authori[sz]e\b/,
  /\b(charge|charges|payment|payments|transaction|transactions|purchase|purchases)\s+(that\s+)?i\s+(didnt|did not|never)\s+(make|made|do|authori[sz]e)\b/,
  /\b(didnt|did not|never)\s+(make|made|place|placed)\s+(this|these|that|those|the)\s+(purchase|purchases|payment|charge|transaction)\b/,
  /\bwithout (my )?(permission|consent|authori[sz]ation)\b/,
  /\bstolen\s+(credit\s+|debit\s+|bank\s+)?(card|identity|account|details|password)\b|\b(card|identity|account|details)\s+(was|were|has been|got)\s+stolen\b|\bidentity theft\b|\bstole my (card|identity|money|account)\b/,
  /\bhacked\b|\b(account|card)\s+(was|has been|got|is)\s+(compromised|taken over)\b/,
  /\b(someone|somebody|a stranger)\s+(else\s+)?(used|uses|is using|got into|logged into|accessed|broke into|took over)\s+my\s+(account|card|credit card|details)\b/,
];

const HUMAN_TARGET =
  '(a |an |the |your |one of your |some |to )?(real |actual |live |human |echten |einem |einen )?' +
  '(human|humans|human being|person|agent|agents|representative|rep|operator|manager|supervisor|staff|employee|' +
  'colleague|colleagues|boss|team member|member of (the |your )?(support |service )?(team|staff)|support team|' +
  'customer service|customer support|' +
  'customer care|support staff|mitarbeiter|mitarbeiterin|mensch|menschen)';

/** Refusing the bot ("I don't want to talk to a bot") is itself the request, so it is never treated as negated. */
const BOT_REFUSAL =
  /\b(dont|do not|no more|stop)\s+(want\s+)?(to\s+)?(talk\s+to\s+|chat\s+with\s+|the\s+)?(a\s+)?(bot|bots|robot|chatbot|machine)\b|^no bots?\b|\bnot (a|the|some) (bot|robot|machine)\b/;
const HUMAN: readonly RegExp[] = [
  // The whole message is the target ("agent", "human please", "Mitarbeiter bitte").
  new RegExp(`^(i want |i need |want |need |get me |give me )?${HUMAN_TARGET}( please| pls| bitte| now| asap)*$`),
  // Verbs that only ever ask for contact may sit a few words away from the target.
  new RegExp(
    `\\b(talk|speak|chat|connect\\w*|transfer\\w*|forward|pass|hand|put|escalate|complain|sprechen|reden|verbinden)\\b(\\s+\\w+){0,4}?\\s+${HUMAN_TARGET}\\b`,
  ),
  // Weak verbs ("need", "want", "get") only right next to the target: "I need the customer service email" is a question.
  new RegExp(
    `\\b(get|give|want|need|demand|reach)( me)? ${HUMAN_TARGET}\\b(?! (email|e mail|number|phone|hours|address))`,
  ),
  /\b(talk|speak|chat)\s+(to|with)\s+(someone|somebody|anyone|anybody)\b|\b(put|connect|transfer)\s+me\s+(through|to someone|to somebody)\b/,
  /\b(real|actual|live|echten|echter)\s+(person|human|agent|mensch|menschen)\b|\bhuman being\b/,
  // "call me back", "can someone call me"; not "call me a taxi".
  /\b(call|ring|phone) me\b(?! (a|an|the|my)\b)|\b(callback|call back|anrufen|ruckruf)\b/,
  /\b(get|need|want)( me)? (someone|somebody) from (your |the )?(support|team|customer service|staff|company)\b/,
  /\bescalat\w*\b|\bmitarbeiter\w*\b|\b(einem|einen|echten) menschen?\b/,
  /\b(human|live|real|support|service) (agent|person|rep|representative)\b|\btransfer\w* me\b/,
  /\b(talk|speak|chat|connect me|transfer me|put me through|put me in touch) (to|with) (support|your team|the team|your support|someone|somebody|anyone)\b/,
  /\b(anyone|anybody|someone|somebody) (i can|to) (\w+ )?(talk|speak|chat)\b|\bcall (someone|somebody|your team|support)\b/,
  /\b(someone|somebody|an employee|a person|an agent|a human|staff|a member of staff)\b(\s+\w+){0,4}?\s+(contact|call|phone) me\b/,
  /\bis there (a |an |any )?(real |actual )?(human|person|agent|employee|somebody|someone|anyone)\b/,
];

/** Global copies for matchAll (which clones them, so sharing is safe), built once. */
const HUMAN_ALL = HUMAN.map((p) => new RegExp(p.source, 'g'));

/** Phrases that contain a trigger word but are not requests; removed before matching. */
const NOT_A_HUMAN_REQUEST =
  /\bhuman (resources|error|rights|nature)\b|\b(are|r) (you|u) (a |an )?(real )?(human|person|bot|robot)\b|\bis this (a )?(bot|human|person)\b/g;
const NOT_A_LAWYER = /\b(i am|im|i m)\s+not\s+(a\s+)?(lawyer|attorney|solicitor)\b/g;
const NEGATORS = new Set(['dont', 'not', 'never', 'without', 'nicht', 'kein', 'keinen', 'keine', 'no']);
/** Words that may sit between a negator and the request it negates ("don't really want to talk to …"). */
const FILLERS = new Set(['i', 'really', 'want', 'need', 'wish', 'like', 'would', 'to', 'a', 'an', 'any', 'do', 'for']);

/** Walks back from a match over filler words; a negator reached that way negates the match. */
function negated(before: readonly string[]): boolean {
  for (let i = before.length - 1; i >= 0 && i >= before.length - 5; i--) {
    const w = before[i] as string;
    // "no need for a human" is negated; "no, I want a human" is not.
    if (w === 'no') return i === before.length - 1 || before[i + 1] === 'need';
    if (NEGATORS.has(w)) return true;
    if (!FILLERS.has(w)) return false;
  }
  return false;
}

const anyMatch = (patterns: readonly RegExp[], s: string) => patterns.some((p) => p.test(s));

/**
 * True when some match is not negated ("I don't want to talk to an agent", "I do not need a human", "no need for
 * a human"); "No, I want a human" and "you're not listening, I want a person" still fire.
 */
function humanRequested(s: string): boolean {
  if (BOT_REFUSAL.test(s)) return true;
  for (const p of HUMAN_ALL) {
    for (const m of s.matchAll(p)) {
      if (!negated(tokenize(s.slice(0, m.index).trim()))) return true;
    }
  }
  return false;
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  const union = a.size + b.size - inter;
  return union === 0 ? 0 : inter / union;
}

function repeated(text: string, history: ConversationHistory, opts: EscalationOptions): boolean {
  if ((history.failedTurns ?? 0) >= opts.maxFailedTurns) return true;
  const current = new Set(tokenize(normalizeText(text)));
  if (current.size === 0) return false;
  let occurrences = 1;
  for (const prev of history.previousCustomerTexts ?? []) {
    if (jaccard(current, new Set(tokenize(normalizeText(prev)))) >= opts.repeatSimilarity) occurrences++;
  }
  return occurrences >= opts.repeatThreshold;
}

/**
 * The first escalation signal the customer's message (and the conversation so far) carries, or null. Order of
 * precedence: legal_threat, fraud_dispute, human_requested, repeated_failure — the most specific reason wins, so
 * the agent sees why the conversation reached them.
 */
export function detectEscalation(
  text: string,
  history: ConversationHistory = {},
  opts: EscalationOptions = DEFAULT_ESCALATION_OPTIONS,
): EscalationSignal | null {
  const s = normalizeText(text);
  if (anyMatch(LEGAL, s.replace(NOT_A_LAWYER, ' '))) return 'legal_threat';
  if (anyMatch(FRAUD, s)) return 'fraud_dispute';
  if (humanRequested(s.replace(NOT_A_HUMAN_REQUEST, ' '))) return 'human_requested';
  if (repeated(text, history, opts)) return 'repeated_failure';
  return null;
}
