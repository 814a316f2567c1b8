import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { dataPath } from '../paths.js';

/**
 * The FAQ knowledge base (data/kb/faq.yaml) and its deterministic retrieval: Okapi BM25 over title, keywords and
 * answer, with fields weighted by repeating their terms (keywords ×3, title ×2, answer ×1; a BM25F shortcut). No
 * embeddings: the same query always returns the same articles, and the test suite can pin them.
 */

export const KbArticleSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    title: z.string().min(1).max(120),
    /** The only facts the faq-answer prompt may use. */
    answer: z.string().min(1).max(600),
    keywords: z.array(z.string().min(1)).min(1),
    links: z.array(z.string().min(1)).optional(),
  })
  .strict();
export type KbArticle = z.infer<typeof KbArticleSchema>;

export const KbFileSchema = z.object({ articles: z.array(KbArticleSchema).min(1) }).strict();

export interface KbHit {
  article: KbArticle;
  score: number;
}

export interface KnowledgeBase {
  readonly articles: readonly KbArticle[];
  /**
   * Up to `k` articles scoring at least `minScore` (default KB_MIN_SCORE), best first, ties by id. An empty result
   * means "no article": the faq handler hands off rather than letting a model answer from nothing.
   */
  search(query: string, k?: number, minScore?: number): KbHit[];
}

/**
 * Below this BM25 score a hit is noise. Calibrated with test/ai/kb.test.ts (20 articles): the lowest-scoring
 * paraphrased FAQ question scores 3.47 for its article ("When are you open?": one term, "open", in three articles);
 * off-topic chit-chat scores at most 2.87 through a stray shared word. Known limit of lexical retrieval: an
 * off-topic question that shares a distinctive keyword ("football match" vs the price-match article: 4.84) passes,
 * which is why the faq intent is only reached through the classifier and the faq-answer prompt may still answer
 * "not answered". Re-check when the article count changes a lot (idf depends on it).
 */
export const KB_MIN_SCORE = 3.2;

const K1 = 1.2;
const B = 0.75;
const FIELD_WEIGHT = { keywords: 3, title: 2, answer: 1 } as const;

// Words that carry no topic in EN and DE support questions.
const STOP = new Set(
  (
    'a an and are as at be been but by can could do does did for from get got has have how i if in into is it its me ' +
    'my no not of on or our please so that the their them then there this to too was we were what when where which ' +
    'who why will with would you your hi hello thanks thank der die das den dem des ein eine einen einem ich ist und ' +
    'oder wie was wann wo mein meine meinen mir mich sie ihr ihre bitte kann können zu zum zur mit von für auf an es ' +
    'nicht hallo danke habe hat haben wird werden noch schon'
  ).split(' '),
);

/**
 * Crude suffix folding (EN plurals, -ing, -ed; DE -en, -e): enough to match "returns"/"returning"/"return" and
 * "shipping"/"ship". Not -er: it would fold "locker" into "lock" and "locked account" into parcel lockers.
 */
function stem(w: string): string {
  if (w.length <= 4) return w;
  if (w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  for (const suffix of ['ing', 'ed', 'es', 'en', 's', 'e']) {
    if (w.endsWith(suffix) && w.length - suffix.length >= 3) {
      const base = w.slice(0, -suffix.length);
      return /([b-df-hj-np-tv-z])\1$/.test(base) && suffix.length > 1 ? base.slice(0, -1) : base;
    }
  }
  return w;
}

export function tokenize(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 1 && !STOP.has(w))
    .map(stem);
}

interface Doc {
  article: KbArticle;
  tf: Map<string, number>;
  length: number;
}

export function createKnowledgeBase(articles: readonly KbArticle[]): KnowledgeBase {
  const docs: Doc[] = articles.map((article) => {
    const tf = new Map<string, number>();
    let length = 0;
    const add = (text: string, weight: number): void => {
      for (const t of tokenize(text)) {
        tf.set(t, (tf.get(t) ?? 0) + weight);
        length += weight;
      }
    };
    add(article.keywords.join(' '), FIELD_WEIGHT.keywords);
    add(article.title, FIELD_WEIGHT.title);
    add(article.answer, FIELD_WEIGHT.answer);
    return { article, tf, length };
  });
  const avgLength = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, docs.length);
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string): number => {
    const n = df.get(t) ?? 0;
    return Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
  };

  function search(query: string, k = 3, minScore = KB_MIN_SCORE): KbHit[] {
    // Distinct terms: repeating a word in the question must not outweigh a second, different word.
    const terms = [...new Set(tokenize(query))].filter((t) => df.has(t));
    if (terms.length === 0) return [];
    return docs
      .map((d) => {
        let score = 0;
        for (const t of terms) {
          const f = d.tf.get(t) ?? 0;
          if (f > 0) score += (idf(t) * f * (K1 + 1)) / (f + K1 * (1 - B + (B * d.length) / avgLength));
        }
        return { article: d.article, score: Math.round(score * 1000) / 1000 };
      })
      .filter((h) => h.score >= minScore)
      .sort((a, b) => b.score - a.score || a.article.id.localeCompare(b.article.id))
      .slice(0, k);
  }

  return { articles, search };
}

export class KnowledgeBaseError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`knowledge base ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'KnowledgeBaseError';
    this.problems = problems;
  }
}

/** Loads and validates data/kb/faq.yaml (or `file`); a bad file throws KnowledgeBaseError listing every problem. */
export function loadKnowledgeBase(file: string = dataPath('kb', 'faq.yaml')): KnowledgeBase {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'), { uniqueKeys: true });
  } catch (err) {
    throw new KnowledgeBaseError(file, [err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)]);
  }
  const parsed = KbFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new KnowledgeBaseError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const seen = new Set<string>();
  const dups = parsed.data.articles.filter((a) => seen.size === seen.add(a.id).size).map((a) => `duplicate id ${a.id}`);
  if (dups.length > 0) throw new KnowledgeBaseError(file, dups);
  return createKnowledgeBase(parsed.data.articles);
}
