/**
 * Text normalisation shared by the features, the lexicon and the data checks. Pure: the same text always gives the
 * same tokens, which is what keeps the classifier deterministic.
 */

/** Placeholders that replace values whose exact digits never matter for the intent (and are often PII). */
export const PLACEHOLDERS = ['<order_id>', '<num>', '<email>', '<url>'] as const;
const PLACEHOLDER_SET: ReadonlySet<string> = new Set(PLACEHOLDERS);

/**
 * Lowercase, NFKC, diacritics folded (German "ändern" and "andern" are one word: customers type both), ids and
 * numbers replaced by placeholders, punctuation stripped, whitespace collapsed.
 */
export function normalizeText(text: string): string {
  let s = text.normalize('NFKC').toLowerCase().replace(/[<>]/g, ' ');
  s = s.normalize('NFD').replace(/\p{M}/gu, '').replace(/ß/g, 'ss');
  s = s.replace(/(?:https?:\/\/|www\.)\S+/g, ' <url> ');
  s = s.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, ' <email> ');
  // Order ids look like A-1001 or AB1001; a bare long number is usually an order or tracking number too.
  s = s.replace(/\b[a-z]{1,3}-?\d{3,}\b|\b\d{5,}\b/g, ' <order_id> ');
  s = s.replace(/\b\d+(?:[.,]\d+)?\b/g, ' <num> ');
  // Apostrophes vanish ("don't" = "dont"); every other non-letter/digit splits words.
  s = s.replace(/['’`´]/g, '');
  s = s.replace(/[^\p{L}\p{N}<>_\s]/gu, ' ');
  return s.replace(/\s+/g, ' ').trim();
}

export function tokenize(normalized: string): string[] {
  return normalized === '' ? [] : normalized.split(' ');
}

export const isPlaceholder = (token: string): boolean => PLACEHOLDER_SET.has(token);
