import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import FindMyWay from 'find-my-way';
import type { BotReplyV1 } from '../../contracts/v1/bot-reply.js';
import type { MessageV1 } from '../../contracts/v1/conversation.js';
import type { FlagContext } from '../../flags/context.js';
import { buildHandoff, handoffToLegacy, renderBotReplyResponse } from '../../mappers/bot-reply.js';
import {
  conversationFromLegacy,
  customerMessageFromLegacy,
  storedCustomerMessage,
} from '../../mappers/conversation.js';
import { customerNameFromLegacy } from '../../mappers/customer.js';
import { INTENT_SPECS } from '../../routes/intents/index.js';
import { buildTools } from '../../routes/intents/tools.js';
import type { IntentContext, IntentOutcome, IntentSpec, Session } from '../../routes/intents/types.js';
import type { Adapters } from '../../routes/types.js';
import type { AiEngine } from '../ai/engine.js';
import { redactPii } from '../ai/guardrails/pii.js';
import type { TieredClassification } from '../ai/tiered.js';
import { type Intent, LlmError } from '../ai/types.js';
import type { Config } from '../config.js';
import { Errors, GatewayError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ForwardResult, ResponseCapture } from '../proxy/passthrough.js';
import { sendProblem } from '../proxy/problem.js';
import type { ShadowRunner } from '../shadow/runner.js';
import type { StateStore } from '../state/types.js';
import { decodeJsonBody, readBody } from './body.js';
import { classifyFailure, withDeadline } from './fallback.js';
import type { FlagGate } from './flags.js';
import { botReplyComparison } from './intent-comparison.js';
import { decide, type FallbackReason, type RoutingReason } from './plan.js';
import { BUFFERED, type Buffered, type Outcome, type RouteRuntime, type SliceInfo } from './run.js';

export const MESSAGE_ROUTE_ID = 'conversations.messages';
export const MESSAGE_PATHS = ['/api/v2/conversations/:id/messages', '/api/v2/conversations/:id/messages.json'] as const;
const UNCLASSIFIED = 'intent.unclassified';
/** Deadline for tiered classification (local tier, then the LLM when unsure). */
const CLASSIFY_DEADLINE_MS = 2_000;

export type IntentSliceInfo = SliceInfo & { intent: IntentSpec };

/** What the intent router borrows from the pipeline (one straight path, shared accounting). */
export interface IntentKit {
  config: Config;
  metrics: Metrics;
  logger: Logger;
  flags: FlagGate;
  state: StateStore;
  shadow: ShadowRunner;
  adapters: Adapters;
  ai: AiEngine;
  makeRuntime<S extends SliceInfo>(spec: S): RouteRuntime<S>;
  baseContext(req: IncomingMessage): FlagContext;
  adapterHeaders(req: IncomingMessage): Record<string, string>;
  forwardLegacy(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    body: Buffer | Readable | null | undefined,
    decision: string[] | undefined,
    done: (r: ForwardResult) => void,
    capture?: ResponseCapture,
  ): void;
  finish(req: IncomingMessage, requestId: string, t0: number, o: Outcome): void;
  /** x-gateway-* decision headers when enabled (flat name/value list), else undefined. */
  decisionHeaders(mode: string, by: 'legacy' | 'new', reason: string | null): string[] | undefined;
}

/**
 * Intent routing for customer messages (DESIGN §3, §7): `POST /api/v2/conversations/{id}/messages` is classified
 * (rules, local tier, LLM only when unsure) and the slice becomes `intent.<name>`, with its own flags, breaker,
 * deadline and tool allowlist. Classification runs only when some intent slice could serve or shadow.
 */
export function createIntentRouter(kit: IntentKit) {
  const { config, metrics, logger, flags, state, ai } = kit;
  const replyComparison = botReplyComparison(config.shadow.textSimilarity);
  const runtimes = new Map<Intent, RouteRuntime<IntentSliceInfo>>();
  for (const spec of Object.values(INTENT_SPECS)) {
    runtimes.set(
      spec.intent,
      kit.makeRuntime<IntentSliceInfo>({
        id: MESSAGE_ROUTE_ID,
        slice: spec.slice,
        method: 'POST',
        paths: MESSAGE_PATHS,
        description: spec.description,
        deadlineMs: spec.deadlineMs,
        intent: spec,
      }),
    );
  }
  const fmw = FindMyWay({ caseSensitive: true });
  for (const p of MESSAGE_PATHS) fmw.on('POST', p, () => {});
  const all = [...runtimes.values()];

  function match(method: string, path: string): string | null {
    if (method !== 'POST') return null;
    const found = fmw.find('POST', path);
    return found ? (found.params.id as string) : null;
  }

  /** Could any intent slice take or shadow a message right now? If not, nothing is classified or buffered. */
  function anyActive(): boolean {
    if (!flags.usable() || flags.killSwitch()) return false;
    return all.some((rt) => {
      if (state.getPin(rt.spec.slice)) return false;
      const f = flags.slice(rt.spec.slice);
      return f.mayServe || f.mayShadow;
    });
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    conversationId: string,
    requestId: string,
    t0: number,
  ): Promise<void> {
    const unclassified = (reason: RoutingReason | FallbackReason, body?: Buffer | Readable) =>
      kit.forwardLegacy(req, res, requestId, body, kit.decisionHeaders('legacy', 'legacy', reason), (r) =>
        kit.finish(req, requestId, t0, outcomeOf(UNCLASSIFIED, 'legacy', reason, false, r)),
      );
    if (!anyActive()) {
      unclassified(!flags.usable() ? 'flags_stale' : flags.killSwitch() ? 'kill_switch' : 'flag_off');
      return;
    }
    const buffered = await readBody(req, config.pipeline.maxBufferedBodyBytes);
    if (buffered.kind === 'overflow') {
      unclassified('body_too_large', buffered.stream);
      return;
    }
    const body = buffered.body;
    (req as Buffered)[BUFFERED] = body;
    let message: ReturnType<typeof customerMessageFromLegacy>['value'];
    const decoded = decodeJsonBody(body);
    try {
      if (!decoded.ok) throw new Error(decoded.reason);
      message = customerMessageFromLegacy(decoded.value, { conversationId }).value;
    } catch {
      // Not a message the automation can read: legacy answers it (with its own 422 where it is invalid).
      unclassified('flag_off', body);
      return;
    }
    const memory = ai.conversations.get(conversationId);
    let classification: TieredClassification;
    if (memory.pending) {
      const p = memory.pending;
      classification = {
        intent: p.intent,
        confidence: 1,
        margin: 1,
        outOfScope: false,
        ranking: [],
        handoff: false,
        tier: 'rules',
        escalation: null,
      };
    } else {
      try {
        const ac = new AbortController();
        classification = await withDeadline(CLASSIFY_DEADLINE_MS, ac, (signal) =>
          ai.classifier.classify(message.text, {
            signal,
            history: { previousCustomerTexts: memory.customerTexts, failedTurns: memory.failedTurns },
          }),
        );
      } catch (err) {
        logger.warn({ reqId: requestId, err }, 'intent classification failed');
        unclassified('flag_off', body);
        return;
      }
    }
    metrics.aiClassifications.labels(classification.intent, classification.tier, String(classification.handoff)).inc();
    const rt = runtimes.get(classification.intent) as RouteRuntime<IntentSliceInfo>;
    await runIntent(rt, req, res, requestId, t0, { conversationId, message, body, classification, memory });
  }

  function outcomeOf(
    slice: string,
    servedBy: 'legacy' | 'new',
    reason: Outcome['reason'],
    fallback: boolean,
    r: ForwardResult | { status: number },
    mode: Outcome['mode'] = 'legacy',
  ): Outcome {
    const fr = r as ForwardResult;
    return {
      route: MESSAGE_ROUTE_ID,
      slice,
      mode,
      servedBy,
      reason,
      fallback,
      status: r.status,
      ...(fr.error ? { error: fr.error } : {}),
      ...(fr.aborted ? { aborted: true } : {}),
    };
  }

  interface Turn {
    conversationId: string;
    message: { conversationId: string; customerId: string; text: string };
    body: Buffer;
    classification: TieredClassification;
    memory: ReturnType<AiEngine['conversations']['get']>;
  }

  async function runIntent(
    rt: RouteRuntime<IntentSliceInfo>,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    t0: number,
    turn: Turn,
  ): Promise<void> {
    const { spec, stats } = rt;
    const slice = spec.slice;
    const fctx: FlagContext = {
      ...kit.baseContext(req),
      customerId: turn.message.customerId,
      conversationId: turn.conversationId,
      intent: spec.intent.intent,
    };
    const plan = decide(flags.planInputs(slice, state.getPin(slice) !== undefined, () => fctx));
    stats.requests++;
    const count = <K extends string>(rec: Partial<Record<K, number>>, k: K) => {
      rec[k] = (rec[k] ?? 0) + 1;
    };
    const toLegacy = (reason: RoutingReason | FallbackReason, fallback: boolean, capture?: ResponseCapture) =>
      kit.forwardLegacy(
        req,
        res,
        requestId,
        turn.body,
        kit.decisionHeaders(plan.mode, 'legacy', reason),
        (r) => {
          if (r.error) stats.errors++;
          else stats.servedByLegacy++;
          if (fallback && (r.error || r.status >= 500)) count(stats.legacyFailed, reason as FallbackReason);
          kit.finish(req, requestId, t0, outcomeOf(slice, 'legacy', reason, fallback, r, plan.mode));
        },
        capture,
      );

    if (plan.target === 'legacy') {
      count(stats.routing, plan.reason);
      metrics.routing.labels(slice, 'legacy', plan.reason).inc();
      if (plan.shadow && kit.shadow.admit(slice, req.headers['x-gateway-replay'] === undefined)) {
        stats.shadowed++;
        toLegacy(plan.reason, false, shadowCapture(rt, req, turn, requestId));
        return;
      }
      toLegacy(plan.reason, false);
      return;
    }
    metrics.routing.labels(slice, 'new', plan.reason).inc();
    count(stats.routing, plan.reason);
    stats.newAttempts++;
    const fallBack = (reason: FallbackReason) => {
      count(stats.fallbacks, reason);
      metrics.fallbacks.labels(slice, reason).inc();
      turn.memory.failedTurns++;
      toLegacy(reason, true);
    };
    if (!ai.budgets.check(slice).ok) return fallBack('budget_exceeded');
    if (!rt.breaker.tryAcquire()) return fallBack('breaker_open');

    const ac = new AbortController();
    let committed = false;
    const onClose = () => {
      if (!res.writableFinished) ac.abort(Errors.CLIENT_ABORTED.create());
    };
    res.once('close', onClose);
    let outcome: IntentOutcome;
    try {
      outcome = await withDeadline(rt.deadlineMs, ac, (signal) =>
        runHandler(spec.intent, req, turn, signal, false, () => {
          committed = true;
        }),
      );
    } catch (err) {
      res.off('close', onClose);
      if (res.destroyed) {
        rt.breaker.release();
        kit.finish(req, requestId, t0, outcomeOf(slice, 'new', null, false, { status: 499 }, plan.mode));
        return;
      }
      rt.breaker.failure();
      const reason: FallbackReason =
        err instanceof LlmError && err.kind === 'budget_exceeded' ? 'budget_exceeded' : classifyFailure(err);
      logger.warn({ reqId: requestId, slice, reason, err }, 'intent handler failed');
      if (committed) {
        stats.errors++;
        const gw = err instanceof GatewayError ? err : Errors.HANDLER_ERROR.create({ cause: err });
        sendProblem(res, gw, requestId, kit.decisionHeaders(plan.mode, 'new', reason));
        kit.finish(req, requestId, t0, {
          ...outcomeOf(slice, 'new', reason, false, { status: gw.statusCode }, plan.mode),
          error: gw,
        });
        return;
      }
      fallBack(reason);
      return;
    }
    res.off('close', onClose);
    rt.breaker.success();
    turn.memory.customerTexts.push(turn.message.text);
    if (turn.memory.customerTexts.length > 10) turn.memory.customerTexts.shift();
    const promptLabel =
      outcome.kind === 'reply' && outcome.prompt ? `${outcome.prompt.id}@${outcome.prompt.version}` : 'none';
    metrics.aiAnswers.labels(slice, outcome.kind, promptLabel).inc();
    // One line per automation answer: which intent, tier and prompt version produced it (never the customer's text).
    logger.info(
      {
        reqId: requestId,
        slice,
        kind: outcome.kind,
        intent: turn.classification.intent,
        tier: turn.classification.tier,
        confidence: Math.round(turn.classification.confidence * 1000) / 1000,
        prompt: promptLabel,
        classifierPrompt: turn.classification.prompt
          ? `${turn.classification.prompt.id}@${turn.classification.prompt.version}`
          : undefined,
        handoffReason: outcome.kind === 'handoff' ? outcome.reason : undefined,
      },
      'automation answer',
    );

    if (outcome.kind === 'handoff') {
      await deliverHandoff(slice, req, turn, outcome, requestId);
      return fallBack(outcome.fallback);
    }
    try {
      const rendered = await renderReply(outcome.reply, req, turn, ac.signal);
      turn.memory.answeredTurns++;
      turn.memory.failedTurns = 0;
      stats.servedByNew++;
      if (!res.destroyed) {
        res.writeHead(201, [
          'content-type',
          'application/json; charset=utf-8',
          'content-length',
          String(Buffer.byteLength(rendered)),
          ...(kit.decisionHeaders(plan.mode, 'new', null) ?? []),
        ]);
        res.end(rendered);
      }
      kit.finish(req, requestId, t0, outcomeOf(slice, 'new', plan.reason, false, { status: 201 }, plan.mode));
    } catch (err) {
      logger.warn({ reqId: requestId, slice, err }, 'rendering the automation reply failed');
      if (committed) {
        // The write happened; the customer still gets a plain confirmation rather than a second execution.
        sendProblem(
          res,
          Errors.HANDLER_ERROR.create({ cause: err }),
          requestId,
          kit.decisionHeaders(plan.mode, 'new', 'error'),
        );
        kit.finish(req, requestId, t0, outcomeOf(slice, 'new', 'error', false, { status: 500 }, plan.mode));
        return;
      }
      fallBack(classifyFailure(err));
    }
  }

  function sessionOf(turn: Turn): Session {
    const n = /^\d+$/.test(turn.message.customerId) ? Number(turn.message.customerId) : Number.NaN;
    // The conversation's author id is the CRM customer id for CRM customers (10001…); other ids have no CRM record.
    return {
      conversationId: turn.conversationId,
      customerId: turn.message.customerId,
      crmCustomerId: n >= 10_000 ? n : null,
    };
  }

  function runHandler(
    spec: IntentSpec,
    req: IncomingMessage,
    turn: Turn,
    signal: AbortSignal,
    dryRun: boolean,
    commit: () => void,
  ): Promise<IntentOutcome> {
    const session = sessionOf(turn);
    const redaction = redactPii(turn.message.text);
    const gaps = metrics.mappingGaps.labels(spec.slice);
    const ctx: IntentContext = {
      session,
      text: turn.message.text,
      redacted: { text: redaction.text, restore: redaction.restore },
      classification: turn.classification,
      tools: buildTools(
        spec.tools,
        session,
        {
          adapters: kit.adapters,
          kb: ai.kb,
          timeZone: config.legacy.timeZone,
          signal,
          headers: kit.adapterHeaders(req),
          recordGaps: (p) => gaps.inc(p.length),
        },
        dryRun,
      ),
      llm: ai.llmFor(spec.slice),
      prompts: ai.prompts,
      pending: turn.memory.pending,
      setPending: (p) => {
        if (!dryRun) turn.memory.pending = p;
      },
      dryRun,
      commit,
      signal,
      now: Date.now,
    };
    if (
      turn.classification.handoff &&
      turn.classification.tier !== 'rules' &&
      spec.intent !== 'talk_to_human' &&
      !turn.memory.pending
    ) {
      // Unsure after every tier: no answer from the automation, a person takes over with the context.
      return Promise.resolve<IntentOutcome>({
        kind: 'handoff',
        reason: 'low_confidence',
        fallback: 'low_confidence',
        summary: redaction.text,
        proposedAction: null,
      });
    }
    return spec.handle(ctx);
  }

  /** The legacy conversation so far (for message ids, display name and the agent's transcript). */
  async function history(turn: Turn, req: IncomingMessage, signal: AbortSignal): Promise<MessageV1[]> {
    const { json } = await kit.adapters.conversations.listMessages(turn.conversationId, {
      signal,
      headers: kit.adapterHeaders(req),
    });
    if (json === undefined) return [];
    return conversationFromLegacy(json, { conversationId: turn.conversationId }).value.messages;
  }

  /** Legacy names a new conversation's customer from its records; so does the automation (CRM first + last name). */
  async function customerName(turn: Turn, req: IncomingMessage, signal: AbortSignal): Promise<string | null> {
    const crmId = sessionOf(turn).crmCustomerId;
    if (crmId === null) return null;
    try {
      const { json } = await kit.adapters.crm.getCustomer(String(crmId), { signal, headers: kit.adapterHeaders(req) });
      if (json === undefined) return null;
      // Only the name is shown: mapping the whole customer (phones through libphonenumber) was ~10 % of this path.
      const c = customerNameFromLegacy(json);
      const name = [c.firstName, c.lastName].filter((x) => x).join(' ');
      return name === '' ? null : name;
    } catch {
      return null; // the name is cosmetic: the answer goes out with legacy's default
    }
  }

  async function renderReply(
    reply: BotReplyV1,
    req: IncomingMessage,
    turn: Turn,
    signal: AbortSignal,
  ): Promise<string> {
    const past = await history(turn, req, signal);
    const seq = past.length + turn.memory.answeredTurns * 2 + 1;
    const displayName =
      past.find((m) => m.author.role === 'customer' && m.author.id === turn.message.customerId)?.author.displayName ??
      (await customerName(turn, req, signal));
    const receivedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const userMessage = storedCustomerMessage(turn.message, { seq, receivedAt, displayName });
    return renderBotReplyResponse(reply, { conversationId: turn.conversationId, userMessage });
  }

  /** Delivers the context package to legacy's agent queue (idempotent per message); a failure is logged, not fatal. */
  async function deliverHandoff(
    slice: string,
    req: IncomingMessage,
    turn: Turn,
    outcome: Extract<IntentOutcome, { kind: 'handoff' }>,
    requestId: string,
  ) {
    try {
      const ac = new AbortController();
      await withDeadline(2_000, ac, async (signal) => {
        const past = await history(turn, req, signal);
        const redacted = redactPii(turn.message.text).text;
        const current: MessageV1 = {
          id: `${turn.conversationId}-pending`,
          conversationId: turn.conversationId,
          receivedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          author: { role: 'customer', id: turn.message.customerId, displayName: 'Customer' },
          text: redacted,
          quickReplies: [],
        };
        const pkg = buildHandoff({
          conversationId: turn.conversationId,
          handoff: {
            reason: outcome.reason,
            intent: turn.classification.intent,
            summary: outcome.summary.slice(0, 4000) || 'Customer message',
          },
          messages: [...past, current],
          proposedAction: outcome.proposedAction,
        });
        const key = `handoff-${createHash('sha256').update(`${turn.conversationId}\n${requestId}\n${turn.message.text}`).digest('hex').slice(0, 32)}`;
        await kit.adapters.conversations.deliverHandoff(turn.conversationId, handoffToLegacy(pkg), {
          idempotencyKey: key,
          signal,
          headers: kit.adapterHeaders(req),
        });
      });
      metrics.handoffs.labels(slice, outcome.reason).inc();
    } catch (err) {
      logger.warn({ reqId: requestId, slice, err }, 'handoff delivery failed; legacy still answers the customer');
    }
  }

  /** Shadow: legacy answers; the handler runs dry afterwards and both answers are compared on the BotReply contract. */
  function shadowCapture(
    rt: RouteRuntime<IntentSliceInfo>,
    req: IncomingMessage,
    turn: Turn,
    requestId: string,
  ): ResponseCapture {
    const slice = rt.spec.slice;
    const fctx = kit.baseContext(req);
    const replay = req.headers['x-gateway-replay'];
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return {
      maxBytes: config.shadow.maxBodyBytes,
      onCaptured: (status, headers, body) => {
        if (status === 0) {
          kit.shadow.release();
          return;
        }
        kit.shadow.run({
          slice,
          route: rt.spec.id,
          requestId,
          method: req.method ?? 'POST',
          path: q === -1 ? url : url.slice(0, q),
          tenant: fctx.tenant ?? null,
          channel: fctx.channel ?? null,
          replay: typeof replay === 'string' ? replay.slice(0, 64) : null,
          legacy: { status, headers, body },
          request: { method: req.method ?? 'POST', path: q === -1 ? url : url.slice(0, q), body: turn.body },
          comparison: replyComparison,
          candidate: async (signal) => {
            const out = await runHandler(rt.spec.intent, req, turn, signal, true, () => {});
            return {
              answer: { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) },
            };
          },
        });
      },
    };
  }

  return { match, handle, runtimes: all };
}
