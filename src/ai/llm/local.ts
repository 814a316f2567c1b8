import { type CallObservers, estimateTokens, type MeteredUsage, observeCalls, SpentLlmError } from '../budget.js';
import { type LlmClient, LlmError, type StructuredRequest, type StructuredResponse } from '../types.js';

/** The model name the embedded deterministic model reports (in responses, logs and metric labels). */
export const LOCAL_MODEL = 'local-deterministic-v1';

/**
 * Answers one prompt id deterministically, e.g. `classify-intent` → the local classifier's answer. It may throw an
 * LlmError to stand for a model failure (refusal, invalid output); any other throw counts as `server`.
 */
export type LocalHandler = (req: StructuredRequest<unknown>) => unknown;
export type LocalHandlers = Readonly<Record<string, LocalHandler>>;

export interface LocalModelOptions extends CallObservers {
  handlers: LocalHandlers;
}

/**
 * The embedded default LLM, so `npm start` and tests need no key: no network, same answer for the same request.
 * It keeps the real client's contract — zod re-validation, LlmError kinds, token usage (ceil(chars / 4), flagged as
 * estimated), the abort signal — so callers exercise the same paths with either model.
 */
export function createLocalModel(opts: LocalModelOptions): LlmClient {
  // A Map, so a prompt id like `constructor` cannot reach Object.prototype.
  const handlers = new Map(Object.entries(opts.handlers));

  async function structured<T>(req: StructuredRequest<T>): Promise<StructuredResponse<T>> {
    const handler = handlers.get(req.promptId);
    if (!handler) throw new LlmError('unavailable', `the local model has no handler for prompt ${req.promptId}`);
    if (req.signal?.aborted) throw new LlmError('timeout', 'aborted by the caller');
    let answer: unknown;
    try {
      answer = await untilAborted(
        Promise.resolve().then(() => handler(req)),
        req.signal,
      );
    } catch (err) {
      if (err instanceof LlmError) throw err;
      throw new LlmError('server', `the local handler for ${req.promptId} failed`, { cause: err });
    }
    const usage: MeteredUsage = {
      inputTokens: estimateTokens(req.system) + estimateTokens(req.user),
      outputTokens: estimateTokens(JSON.stringify(answer) ?? ''),
      estimated: true,
    };
    const parsed = req.schema.safeParse(answer);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}:${i.code}`).join(', ');
      throw new SpentLlmError(
        'invalid_output',
        `the local answer does not match ${req.schemaName}: ${where}`,
        usage,
        LOCAL_MODEL,
        { cause: parsed.error },
      );
    }
    return { value: parsed.data, usage, model: LOCAL_MODEL };
  }

  return observeCalls({ model: LOCAL_MODEL, kind: 'local', structured }, opts);
}

/**
 * Settles with LlmError timeout as soon as the signal aborts, even if `p` never settles (the SDK's retry sleep
 * ignores the signal). `p` stays observed, so its late rejection is never unhandled.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new LlmError('timeout', 'aborted by the caller'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
