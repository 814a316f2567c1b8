import { z } from 'zod';
import { LlmError } from '../../src/ai/types.js';
import { handoff, type IntentSpec } from './types.js';

/** What the model must answer for an FAQ: which article, and the answer grounded in it (or that it cannot). */
export const FaqAnswerSchema = z
  .object({
    answered: z.boolean(),
    answer: z.string().max(1200),
    articleIds: z.array(z.string().min(1)).max(5),
  })
  .strict();

/** Answers from the shipped knowledge base only; no article, no answer (handoff). */
export const faq: IntentSpec = {
  intent: 'faq',
  slice: 'intent.faq',
  deadlineMs: 3_000,
  tools: ['searchKnowledgeBase'],
  description: 'Answers general questions from the knowledge base (data/kb/faq.yaml).',
  async handle(ctx) {
    const hits = ctx.tools.searchKnowledgeBase?.(ctx.redacted.text) ?? [];
    if (hits.length === 0) return handoff('out_of_scope', ctx.redacted.text);
    const articles = hits.map((h) => `[${h.article.id}] ${h.article.title}: ${h.article.answer}`).join('\n');
    const prompt = ctx.prompts.render('faq-answer', { question: ctx.redacted.text, articles });
    try {
      const out = await ctx.llm.structured({
        promptId: prompt.id,
        promptVersion: prompt.version,
        system: prompt.system,
        user: prompt.user,
        schema: FaqAnswerSchema,
        schemaName: 'faq_answer',
        signal: ctx.signal,
        ...(prompt.maxOutputTokens ? { maxOutputTokens: prompt.maxOutputTokens } : {}),
      });
      const used = hits.filter((h) => out.value.articleIds.includes(h.article.id)).map((h) => h.article);
      // Grounding check: the model must name at least one retrieved article; otherwise no answer.
      if (!out.value.answered || used.length === 0 || out.value.answer.trim() === '') {
        return handoff('out_of_scope', ctx.redacted.text);
      }
      const text = ctx.redacted.restore(out.value.answer);
      const links = used
        .flatMap((a) => a.links ?? [])
        .filter((url) => text.includes(url))
        .slice(0, 3);
      return {
        kind: 'reply',
        reply: {
          text,
          quickReplies: [],
          actions: links.map((url) => ({ type: 'link' as const, label: 'More', url })),
          handoff: null,
          intent: 'faq',
        },
        prompt: { id: prompt.id, version: prompt.version },
      };
    } catch (err) {
      if (err instanceof LlmError && err.kind === 'budget_exceeded') throw err;
      return handoff('tool_error', ctx.redacted.text);
    }
  },
};
