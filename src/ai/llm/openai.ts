import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAI,
  RateLimitError,
} from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { z } from 'zod';
import { type CallObservers, estimateTokens, type MeteredUsage, observeCalls, SpentLlmError } from '../budget.js';
import { type LlmClient, LlmError, type StructuredRequest, type StructuredResponse } from '../types.js';
import { untilAborted } from './local.js';

export interface OpenAiClientOptions extends CallObservers {
  /** Any OpenAI-compatible endpoint, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  baseUrl: string;
  /** Local servers ignore it, but the SDK refuses to start without one: a placeholder is sent then. */
  apiKey?: string | undefined;
  model: string;
  /** Per attempt; the SDK default of 10 minutes is never used. */
  timeoutMs: number;
  /** Retries of connection errors, timeouts, 408, 409, 429 and 5xx; the SDK default of 2 is never used. */
  maxRetries: number;
  /**
   * A 429/5xx asking us to wait longer than this is not retried (rate_limited/server at once). openai@6.49 obeys
   * `retry-after` without any cap, so one `retry-after: 3600` would otherwise park the call for an hour.
   */
  maxRetryAfterMs?: number;
  /** `max_tokens` for older compatible servers; OpenAI's reasoning models only accept `max_completion_tokens`. */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens';
  /** Injected by tests that need no socket; the default is the global fetch. */
  fetch?: typeof fetch;
}

type ResponseFormat = NonNullable<ChatCompletionCreateParamsNonStreaming['response_format']>;
const formats = new WeakMap<z.ZodType, Map<string, ResponseFormat>>();

/**
 * The `json_schema` response format of a zod schema, strict mode. Built by the SDK's helper (z.toJSONSchema, then
 * `additionalProperties: false` and every property required). Limits: the root must be an object; `.optional()`
 * needs `.nullable()`; no transforms; refinements are not sent (our re-validation still applies them). Throws on a
 * schema strict mode cannot express — call it when loading the prompt catalog to fail at start-up.
 */
export function strictResponseFormat(schema: z.ZodType, name: string): ResponseFormat {
  let byName = formats.get(schema);
  const cached = byName?.get(name);
  if (cached) return cached;
  const format = zodResponseFormat(schema, name);
  // Only the plain JSON goes on the wire; the helper's parse hooks are unused because we validate ourselves.
  const plain: ResponseFormat = { type: 'json_schema', json_schema: format.json_schema };
  if (!byName) {
    byName = new Map();
    formats.set(schema, byName);
  }
  byName.set(name, plain);
  return plain;
}

/** The LlmClient port over the openai SDK (Chat Completions, the common denominator of compatible servers). */
export function createOpenAiClient(opts: OpenAiClientOptions): LlmClient {
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 1_000;
  const sdk = new OpenAI({
    baseURL: opts.baseUrl,
    apiKey: opts.apiKey ?? 'unused',
    // Explicit nulls so the SDK does not pick these up from the environment behind the config's back.
    organization: null,
    project: null,
    webhookSecret: null,
    adminAPIKey: null,
    timeout: opts.timeoutMs,
    maxRetries: opts.maxRetries,
    // The SDK's debug logging prints request bodies, i.e. prompts; OPENAI_LOG must not be able to switch it on.
    logLevel: 'off',
    fetch: capRetryAfter(opts.fetch ?? fetch, maxRetryAfterMs),
  });
  const tokensField = opts.maxTokensField ?? 'max_completion_tokens';

  async function structured<T>(req: StructuredRequest<T>): Promise<StructuredResponse<T>> {
    let responseFormat: ResponseFormat;
    try {
      responseFormat = strictResponseFormat(req.schema, req.schemaName);
    } catch (err) {
      throw new LlmError('unavailable', `schema ${req.schemaName} cannot be sent in strict mode`, { cause: err });
    }
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: opts.model,
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.user },
      ],
      response_format: responseFormat,
      ...(req.maxOutputTokens !== undefined ? { [tokensField]: req.maxOutputTokens } : {}),
    };
    let completion: ChatCompletion;
    try {
      const call = sdk.chat.completions.create(body, req.signal ? { signal: req.signal } : {});
      completion = await untilAborted(call, req.signal);
    } catch (err) {
      // However the SDK surfaced it, a call the caller aborted is the caller's deadline, not a server fault.
      throw req.signal?.aborted ? new LlmError('timeout', 'aborted by the caller', { cause: err }) : toLlmError(err);
    }
    return validate(completion, req, opts.model);
  }

  return observeCalls({ model: opts.model, kind: 'openai', structured }, opts);
}

/**
 * The completion as a StructuredResponse, or the SpentLlmError saying why not. `model` is the configured name, not
 * `completion.model` (e.g. a dated snapshot): metric labels stay one value per model and a misbehaving server cannot
 * grow their cardinality. Written against what a compatible server may really send, not the SDK's types.
 */
function validate<T>(completion: ChatCompletion, req: StructuredRequest<T>, model: string): StructuredResponse<T> {
  const body: Partial<ChatCompletion> = typeof completion === 'object' && completion !== null ? completion : {};
  const choice = Array.isArray(body.choices) ? body.choices[0] : undefined;
  const content = choice?.message?.content ?? '';
  const reported = body.usage;
  const usage: MeteredUsage =
    typeof reported?.prompt_tokens === 'number' && typeof reported.completion_tokens === 'number'
      ? { inputTokens: reported.prompt_tokens, outputTokens: reported.completion_tokens, estimated: false }
      : {
          inputTokens: estimateTokens(req.system) + estimateTokens(req.user),
          outputTokens: estimateTokens(content + (choice?.message?.refusal ?? '')),
          estimated: true,
        };
  const fail = (kind: 'invalid_output' | 'refusal', message: string, cause?: unknown): SpentLlmError =>
    new SpentLlmError(kind, message, usage, model, cause === undefined ? {} : { cause });

  if (!choice) throw fail('invalid_output', 'the completion has no choices');
  if (choice.message?.refusal) throw fail('refusal', 'the model refused');
  if (choice.finish_reason === 'content_filter') throw fail('refusal', 'the content filter stopped the answer');
  if (choice.finish_reason === 'length') throw fail('invalid_output', 'the answer was cut at the token limit');
  if (!content) throw fail('invalid_output', 'the answer has no content');
  let json: unknown;
  try {
    json = JSON.parse(content);
  } catch (err) {
    throw fail('invalid_output', 'the answer is not JSON', err);
  }
  // Re-validated whatever the server claims: compatible servers may not enforce json_schema at all. Unknown keys
  // are stripped by z.object (or rejected by .strict()), so an injected field cannot reach the caller.
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    // Paths and codes only: zod messages may quote the (customer-derived) values.
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}:${i.code}`).join(', ');
    throw fail('invalid_output', `the answer does not match ${req.schemaName}: ${where}`, parsed.error);
  }
  return { value: parsed.data, usage, model };
}

/** Every SDK failure as an LlmError. Messages are ours: a server's error body may echo the prompt. */
function toLlmError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  const opts = { cause: err };
  if (err instanceof APIConnectionTimeoutError) return new LlmError('timeout', 'the LLM endpoint timed out', opts);
  if (err instanceof APIUserAbortError) return new LlmError('timeout', 'aborted by the caller', opts);
  if (err instanceof APIConnectionError) return new LlmError('server', 'cannot reach the LLM endpoint', opts);
  if (err instanceof RateLimitError) return new LlmError('rate_limited', 'the LLM endpoint answered 429', opts);
  if (err instanceof APIError && err.status !== undefined) {
    if (err.status === 408) return new LlmError('timeout', 'the LLM endpoint answered 408', opts);
    if (err.status >= 500 || err.status === 409) {
      return new LlmError('server', `the LLM endpoint answered ${err.status}`, opts);
    }
    // 400/401/403/404/422: configuration (key, model, schema) — retrying will not help, and no tokens were spent.
    return new LlmError('unavailable', `the LLM endpoint answered ${err.status}`, opts);
  }
  // E.g. a 200 whose body is not a completion at all.
  return new LlmError('server', 'the LLM endpoint answered something unusable', opts);
}

/** Marks 429/5xx answers that ask for a longer wait than `maxMs` as not retryable (`x-should-retry: false`). */
function capRetryAfter(base: typeof fetch, maxMs: number): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    if (res.status !== 429 && res.status < 500) return res;
    const wait = retryAfterMs(res.headers);
    if (wait === undefined || wait <= maxMs) return res;
    const headers = new Headers(res.headers);
    headers.set('x-should-retry', 'false');
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}

function retryAfterMs(headers: Headers): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (!Number.isNaN(ms)) return ms;
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number.parseFloat(value);
  if (!Number.isNaN(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - Date.now();
}
