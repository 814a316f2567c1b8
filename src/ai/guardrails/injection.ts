import { createHash } from 'node:crypto';

/**
 * Prompt-injection heuristics over customer text, for logs and metrics, and to decide that a text is only ever sent
 * to a model inside `quoteUntrusted` fences (never spliced into instructions).
 *
 * This is NOT the protection. The protection is structural and holds whatever the text says:
 * - each intent handler's tool allowlist is fixed in code; the model's output is parsed with a zod schema whose tool
 *   names are an enum of that allowlist, so no output can name a tool outside it (an unknown name fails the schema →
 *   handoff);
 * - identity (customer id, order ownership) comes from the session, never from model output;
 * - writes need a confirmation turn and server-side policy checks;
 * - replies are checked against the turn's tool results.
 * A regex list cannot recognise every phrasing (paraphrases, other languages, encodings); a miss here costs a metric,
 * not a tool call.
 */

export type InjectionSignal =
  | 'ignore_instructions'
  | 'role_override'
  | 'system_prompt'
  | 'tool_call'
  | 'role_markers'
  | 'encoded_blob'
  | 'markup'
  | 'delimiter_escape'
  | 'invisible_chars';

export interface InjectionVerdict {
  suspected: boolean;
  /** Distinct signals, in the order of the rule list. */
  signals: InjectionSignal[];
}

const RULES: readonly (readonly [InjectionSignal, RegExp])[] = [
  [
    'ignore_instructions',
    /\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.!?\n]{0,40}\b(?:previous|prior|above|earlier|preceding|all|any|your|the|these|those|system)\b[^.!?\n]{0,30}\b(?:instructions?|rules?|prompts?|directions?|guidelines?|guardrails?|policies|polic(?:y|ies)|constraints?)\b/i,
  ],
  [
    'ignore_instructions',
    /\b(?:ignorier\w*|vergiss|vergessen\s+sie|missachte\w*)\b[^.!?\n]{0,40}\b(?:anweisungen|instruktionen|regeln|vorgaben|richtlinien|prompts?)\b/i,
  ],
  [
    'role_override',
    /\b(?:you\s+are\s+now|from\s+now\s+on,?\s+you|pretend\s+(?:to\s+be|you\s+are)|act\s+as\s+(?:an?\s+)?(?:admin|administrator|developer|system|root|unrestricted|jailbroken|dan)\b|roleplay\s+as|role-play\s+as|developer\s+mode|jailbreak|do\s+anything\s+now)/i,
  ],
  [
    'role_override',
    /\b(?:du\s+bist\s+(?:jetzt|nun|ab\s+sofort)|tu\s+so,?\s+als\s+(?:ob|wärst)|spiele?\s+die\s+rolle)\b/i,
  ],
  [
    'system_prompt',
    /\b(?:system\s*prompt|systemprompt|system\s+message|hidden\s+instructions|initial\s+instructions|(?:reveal|show|print|repeat|output|leak)\s+(?:me\s+)?(?:your|the)\s+(?:instructions|prompt|rules|configuration))\b/i,
  ],
  [
    'tool_call',
    /\b(?:call|invoke|execute|trigger|run)\s+(?:the\s+|a\s+)?(?:tool|function|api|action)\b|\b(?:tool_calls?|function_call|parsed_arguments)\b|\b[a-z]+_[a-z_]+\s*\(\s*[{"'a-z0-9]/i,
  ],
  [
    'role_markers',
    /(?:^|\n)\s*(?:system|assistant|developer|tool)\s*:|<\|(?:im_start|im_end|system|endoftext)\|>|\[\/?INST\]|<\/?s>|#{2,}\s*(?:instruction|system|new\s+rules)/i,
  ],
  [
    'markup',
    /<\s*(?:script|iframe|img|svg|object|embed|style|link|meta)\b|<!--|!\[[^\]]*\]\(\s*https?:|\bjavascript:|\bon(?:error|load)\s*=/i,
  ],
  ['markup', /```\s*(?:system|json|tool|function)/i],
  [
    'delimiter_escape',
    /<\/?\s*untrusted|<\/?\s*customer[_-]?(?:message|text)|\bEND[_ ]OF[_ ](?:CUSTOMER|USER|UNTRUSTED)/i,
  ],
  // Zero-width, bidi overrides and tag characters: invisible text a human reviewer would not see.
  ['invisible_chars', /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]|[\u{E0000}-\u{E007F}]/u],
];

/** A base64 run long enough to hide a sentence, that decodes to mostly printable text. */
const BASE64_RUN = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/=])/g;

function hasEncodedBlob(text: string): boolean {
  for (const m of text.matchAll(BASE64_RUN)) {
    const run = m[0];
    // Hex ids, tracking numbers and plain words are not base64 payloads: require mixed case and a non-hex letter.
    if (!/[a-z]/.test(run) || !/[A-Z]/.test(run) || /^[0-9a-fA-F]+$/.test(run)) continue;
    const decoded = Buffer.from(run, 'base64').toString('latin1');
    const printable = decoded.replace(/[^\x20-\x7E\n\r\t]/g, '').length;
    if (printable / decoded.length > 0.9) return true;
  }
  return false;
}

export function detectInjection(text: string): InjectionVerdict {
  const signals: InjectionSignal[] = [];
  const normalised = text.normalize('NFKC');
  for (const [signal, re] of RULES) {
    if (!signals.includes(signal) && re.test(normalised)) signals.push(signal);
  }
  if (hasEncodedBlob(text)) signals.push('encoded_blob');
  return { suspected: signals.length > 0, signals };
}

const FENCE_OPEN = /<untrusted-[0-9a-f]{12}>/g;
const FENCE_ANY = /<\/?\s*untrusted[^>]*>/gi;

/**
 * Fences customer text for a prompt: `<untrusted-{tag}>…</untrusted-{tag}>`, where the tag is derived from a hash
 * of the text itself, so the customer cannot write the closing fence (it would change the hash). Fence-like markup
 * inside the text is neutralised as well. Deterministic: the same text yields the same prompt, which keeps the
 * local model and prompt caching stable. The system prompt tells the model the fenced text is data, not instructions.
 */
export function quoteUntrusted(text: string): string {
  const neutral = text.replace(FENCE_ANY, (m) => m.replace(/</g, '‹').replace(/>/g, '›'));
  const tag = createHash('sha256').update(neutral).digest('hex').slice(0, 12);
  return `<untrusted-${tag}>\n${neutral}\n</untrusted-${tag}>`;
}

/** The fenced texts in a rendered prompt, in order (used by the local model to read the customer's words back). */
export function extractUntrusted(prompt: string): string[] {
  const out: string[] = [];
  for (const open of prompt.matchAll(FENCE_OPEN)) {
    const close = `</${open[0].slice(1)}`;
    const from = open.index + open[0].length + 1;
    const to = prompt.indexOf(close, from);
    if (to !== -1) out.push(prompt.slice(from, to - 1));
  }
  return out;
}
