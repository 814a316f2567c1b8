import type { Logger } from '../observability/logger.js';
import { type LlmClient, LlmError, type LlmErrorKind, type StructuredRequest, type TokenUsage } from './types.js';

/** Token usage as our clients report it. `estimated` is true when the endpoint sent no usage and we counted it. */
export interface MeteredUsage extends TokenUsage {
  estimated: boolean;
}

/**
 * The documented cheap estimate: ceil(chars / 4), OpenAI's rule of thumb for English text. It over-counts JSON a
 * little and under-counts non-Latin scripts; budgets only need the order of magnitude, not a tokenizer.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Whether a reported usage was estimated rather than counted by the endpoint. */
export function isEstimated(usage: TokenUsage): boolean {
  return (usage as Partial<MeteredUsage>).estimated === true;
}

/**
 * An LlmError raised after the model already produced output (invalid_output, refusal): the tokens were spent and
 * budgets must still charge them.
 */
export class SpentLlmError extends LlmError {
  readonly usage: MeteredUsage;
  readonly model: string;
  constructor(kind: LlmErrorKind, message: string, usage: MeteredUsage, model: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.usage = usage;
    this.model = model;
  }
}

export interface SliceBudget {
  tokensPerDay?: number | undefined;
  usdPerDay?: number | undefined;
}

export interface Prices {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
}

export type BudgetCheck =
  | { ok: true }
  | { ok: false; reason: 'budget_exceeded'; unit: 'tokens' | 'usd'; used: number; limit: number };

export interface SliceUsage {
  tokens: number;
  usd: number;
  limits: SliceBudget;
}

export interface BudgetSnapshot {
  /** UTC day the counters belong to, YYYY-MM-DD. */
  day: string;
  slices: Record<string, SliceUsage>;
}

export interface Budgets {
  /** Over budget once today's usage has reached a limit: the call that crosses it is allowed, the next is not. */
  check(slice: string): BudgetCheck;
  charge(slice: string, model: string, usage: TokenUsage): { tokens: number; usd: number };
  snapshot(): BudgetSnapshot;
}

export interface BudgetsOptions {
  /** `config.ai.budgets`: slice id → daily limits. Slices without an entry are counted but never limited. */
  budgets: Readonly<Record<string, SliceBudget>>;
  prices: Prices;
  /** Epoch ms; injected by tests to cross midnight UTC. */
  now?: () => number;
  /** Feeds `gateway_ai_tokens_total{slice,model}` and `gateway_ai_cost_usd_total{slice}`. */
  onCharge?: (slice: string, model: string, tokens: number, usd: number) => void;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Daily token and cost budgets per slice, in process memory: every replica has its own counters, so a fleet of N
 * replicas may spend up to N times the limit. Counters reset lazily at the first access after midnight UTC.
 */
export function createBudgets(opts: BudgetsOptions): Budgets {
  const now = opts.now ?? Date.now;
  const onCharge = opts.onCharge ?? (() => {});
  const { inputUsdPerMTok, outputUsdPerMTok } = opts.prices;
  let day = utcDay(now());
  let used = new Map<string, { tokens: number; usd: number }>();

  const today = (): Map<string, { tokens: number; usd: number }> => {
    const d = utcDay(now());
    if (d !== day) {
      day = d;
      used = new Map();
    }
    return used;
  };

  return {
    check(slice) {
      const limits = opts.budgets[slice];
      if (!limits) return { ok: true };
      const u = today().get(slice) ?? { tokens: 0, usd: 0 };
      if (limits.tokensPerDay !== undefined && u.tokens >= limits.tokensPerDay) {
        return { ok: false, reason: 'budget_exceeded', unit: 'tokens', used: u.tokens, limit: limits.tokensPerDay };
      }
      if (limits.usdPerDay !== undefined && u.usd >= limits.usdPerDay) {
        return { ok: false, reason: 'budget_exceeded', unit: 'usd', used: u.usd, limit: limits.usdPerDay };
      }
      return { ok: true };
    },
    charge(slice, model, usage) {
      const tokens = usage.inputTokens + usage.outputTokens;
      const usd = (usage.inputTokens * inputUsdPerMTok + usage.outputTokens * outputUsdPerMTok) / 1_000_000;
      const counters = today();
      const u = counters.get(slice) ?? { tokens: 0, usd: 0 };
      counters.set(slice, { tokens: u.tokens + tokens, usd: u.usd + usd });
      onCharge(slice, model, tokens, usd);
      return { tokens, usd };
    },
    snapshot() {
      const counters = today();
      const slices: Record<string, SliceUsage> = {};
      for (const slice of new Set([...Object.keys(opts.budgets), ...counters.keys()])) {
        const u = counters.get(slice) ?? { tokens: 0, usd: 0 };
        slices[slice] = { tokens: u.tokens, usd: u.usd, limits: { ...opts.budgets[slice] } };
      }
      return { day, slices };
    },
  };
}

/**
 * Wraps a client so every call is checked against `slice`'s budget first (LlmError budget_exceeded, no call made) and
 * charged after. Failures after the model answered (SpentLlmError: invalid_output, refusal) are charged too; a timeout
 * or connection failure is not, because the endpoint reported nothing we could count.
 */
export function withBudget(llm: LlmClient, budgets: Budgets, slice: string): LlmClient {
  return {
    model: llm.model,
    kind: llm.kind,
    async structured<T>(req: StructuredRequest<T>) {
      const verdict = budgets.check(slice);
      if (!verdict.ok) {
        throw new LlmError(
          'budget_exceeded',
          `daily ${verdict.unit} budget of ${slice} exhausted: ${verdict.used} of ${verdict.limit}`,
        );
      }
      try {
        const res = await llm.structured(req);
        budgets.charge(slice, res.model, res.usage);
        return res;
      } catch (err) {
        if (err instanceof SpentLlmError) budgets.charge(slice, err.model, err.usage);
        throw err;
      }
    },
  };
}

/** `ok` or why the call failed; the label values of `gateway_ai_llm_calls_total{model,outcome}`. */
export type LlmOutcome = 'ok' | LlmErrorKind;

/** One finished LLM call, as logged and counted. It carries no prompt or answer text by construction. */
export interface LlmCallEvent {
  promptId: string;
  promptVersion: string;
  model: string;
  outcome: LlmOutcome;
  latencyMs: number;
  /** Absent when the endpoint never answered (timeout, connection failure, 429/5xx). */
  usage?: MeteredUsage;
}

export interface CallObservers {
  logger?: Logger | undefined;
  /** Feeds `gateway_ai_llm_calls_total{model,outcome}`. */
  onCall?: ((event: LlmCallEvent) => void) | undefined;
}

/**
 * Wraps a client so every call ends in one log line and one event: prompt id and version, model, latency, tokens,
 * outcome. Deliberately not the request or the answer: the prompt holds redacted but still sensitive context.
 */
export function observeCalls(llm: LlmClient, obs: CallObservers): LlmClient {
  const { logger } = obs;
  const onCall = obs.onCall ?? (() => {});
  const emit = (event: LlmCallEvent): void => {
    onCall(event);
    if (!logger) return;
    const { usage, ...rest } = event;
    const line = { llm: llm.kind, ...rest, ...usage };
    if (event.outcome === 'ok') logger.debug(line, 'llm call');
    else logger.warn(line, 'llm call failed');
  };
  return {
    model: llm.model,
    kind: llm.kind,
    async structured<T>(req: StructuredRequest<T>) {
      const started = performance.now();
      const ids = { promptId: req.promptId, promptVersion: req.promptVersion };
      const latency = (): number => Math.round(performance.now() - started);
      try {
        const res = await llm.structured(req);
        const usage = { ...res.usage, estimated: isEstimated(res.usage) };
        emit({ ...ids, model: res.model, outcome: 'ok', latencyMs: latency(), usage });
        return res;
      } catch (err) {
        const outcome = err instanceof LlmError ? err.kind : 'unavailable';
        const spent = err instanceof SpentLlmError ? { usage: err.usage } : {};
        emit({ ...ids, model: llm.model, outcome, latencyMs: latency(), ...spent });
        throw err;
      }
    },
  };
}
