import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import type { Readable } from 'node:stream';
import type { FlagContext } from '../../flags/context.js';
import { legacyUrl, type PrimedRead } from '../../legacy-adapters/http.js';
import { RequestBodyError } from '../../mappers/ticket-write.js';
import type { Adapters, HandlerContext, NewResponse, RouteSpec, SliceRequest } from '../../routes/types.js';
import type { AiEngine } from '../ai/engine.js';
import type { Config } from '../config.js';
import type { ContractApi } from '../contracts-api/server.js';
import { Errors, GatewayError } from '../errors.js';
import { childCache1, childCache2, childCache3, childCache4 } from '../observability/children.js';
import { type Logger, redactQuery, SECRET_QUERY_PARAMS } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { connectionTokens } from '../proxy/headers.js';
import type { createPassthrough, ForwardResult } from '../proxy/passthrough.js';
import { sendProblem } from '../proxy/problem.js';
import { originFormTarget } from '../proxy/request-target.js';
import type { OriginRewriter } from '../proxy/rewrite.js';
import { dryRunCandidate } from '../shadow/candidate.js';
import { primedKeyOf, primedRead } from '../shadow/primed.js';
import type { Recorder } from '../shadow/recorder.js';
import { routeRef } from '../shadow/remote-routes.js';
import type { LegacyCapture, ShadowRunner } from '../shadow/runner.js';
import type { StateStore } from '../state/types.js';
import { readBody } from './body.js';
import { type Breaker, createBreaker, withSharedOpen } from './breaker.js';
import { classifyFailure, NewPathStatusError, withDeadline } from './fallback.js';
import type { FlagGate } from './flags.js';
import { createIntentRouter } from './intents.js';
import { decide, type FallbackReason, type Plan, type RoutingReason } from './plan.js';
import { canonicalPath, createRouter } from './router.js';
import { createSliceStats, type SliceStats } from './stats.js';

/** Everything the public request path needs, built once at boot (src/compose.ts). */
export interface PipelineDeps {
  config: Config;
  passthrough: ReturnType<typeof createPassthrough>;
  flags: FlagGate;
  state: StateStore;
  adapters: Adapters;
  /** The adapters with one read answered from memory (shadow candidates, `shadow.primedReads`); absent: never. */
  primedAdapters?: ((read: PrimedRead, onHit: () => void) => Adapters) | undefined;
  metrics: Metrics;
  logger: Logger;
  rewriter: OriginRewriter | null;
  shadow: ShadowRunner;
  publicOrigin(req: IncomingMessage): string;
  /** The contract API for new clients, when enabled (it reserves its prefix). */
  contractApi: ContractApi | null;
  /** AI automation for customer messages (intent routing); null disables intent slices. */
  ai: AiEngine | null;
  /** Records sampled public traffic (masked JSONL) for `gateway replay`; null when recording is off. */
  recorder?: Recorder | null;
  /** Asks legacy the same idempotent read a second time (shadow noise learning); never used for writes. */
  legacyAgain(
    method: string,
    url: string,
    /** As the passthrough sends them (flat name/value list, no body framing). */
    headers: string[],
    signal: AbortSignal,
  ): Promise<LegacyCapture>;
}

/** What the admin view and the breaker need to know about a slice (route slices and intent slices alike). */
export type SliceInfo = Pick<RouteSpec, 'id' | 'slice' | 'method' | 'paths' | 'description' | 'deadlineMs'>;

/** Per-slice runtime precomputed at boot: deadline, body cap, breaker, stats. */
export interface RouteRuntime<S extends SliceInfo = SliceInfo> {
  spec: S;
  deadlineMs: number;
  maxBody: number;
  breaker: Breaker;
  stats: SliceStats;
}

/** What one request did, for the access log and metrics. */
export interface Outcome {
  route: string;
  slice: string;
  mode: Plan['mode'] | 'passthrough';
  servedBy: 'legacy' | 'new';
  reason: RoutingReason | FallbackReason | null;
  fallback: boolean;
  status: number;
  error?: GatewayError | undefined;
  aborted?: boolean | undefined;
}

/** Client headers that new handlers pass on to legacy adapters. */
const ADAPTER_HEADERS = [
  'authorization',
  'cookie',
  'accept-language',
  'if-none-match',
  'if-modified-since',
  'traceparent',
  'tracestate',
  'x-request-id',
  'user-agent',
];

/** How this process names itself in shared state (breaker entries). */
const REPLICA = `${hostname()}:${process.pid}`;

export function createPipeline(deps: PipelineDeps, routes: readonly RouteSpec[]) {
  const { config, metrics, logger, passthrough, flags, state, shadow } = deps;
  const recorder = deps.recorder ?? null;
  /** Where the passthrough sends requests: the URL a captured answer came from (shadow primed reads). */
  const legacyBase = new URL(config.legacy.url);
  const primedAdapters = config.shadow.primedReads ? deps.primedAdapters : undefined;
  function makeRuntime<S extends SliceInfo>(spec: S): RouteRuntime<S> {
    const override = config.pipeline.slices[spec.slice] ?? {};
    const gauge = metrics.breakerState.labels(spec.slice);
    gauge.set(0);
    const local = createBreaker({
      ...config.pipeline.breaker,
      onStateChange: (s, st) => {
        gauge.set(s === 'closed' ? 0 : s === 'half_open' ? 1 : 2);
        logger.warn({ slice: spec.slice, breaker: s, ...st }, `breaker ${s}`);
        if (s === 'half_open') return;
        // Other replicas stop sending the slice to its new path for the same open period (and resume when it closes).
        const openUntil = s === 'open' ? Date.now() + config.pipeline.breaker.openMs : 0;
        const entry = { slice: spec.slice, openUntil, replica: REPLICA, at: new Date().toISOString(), ...st };
        state
          .publishBreaker(entry)
          .catch((err: unknown) => logger.warn({ slice: spec.slice, err }, 'breaker state not shared'));
      },
    });
    const breaker = withSharedOpen(local, () => state.breakerOpenUntil(spec.slice));
    return {
      spec,
      deadlineMs: override.deadlineMs ?? spec.deadlineMs ?? config.pipeline.defaultDeadlineMs,
      maxBody: override.maxBufferedBodyBytes ?? config.pipeline.maxBufferedBodyBytes,
      breaker,
      stats: createSliceStats(),
    };
  }
  const sliceRuntimes = routes.map((spec) => makeRuntime(spec));
  const router = createRouter(sliceRuntimes);
  const ctxHeaders = config.flags.contextHeaders;
  const exposeHeaders = config.pipeline.exposeDecisionHeaders;
  const accessLog = config.log.access;
  const redactedParams = new Set([...SECRET_QUERY_PARAMS, ...config.log.redactQueryParams].map((p) => p.toLowerCase()));
  const passthroughOk = metrics.requests.tally('passthrough', 'passthrough', 'legacy', 'ok');
  const passthroughErr = metrics.requests.tally('passthrough', 'passthrough', 'legacy', 'error');
  const passthroughDur = metrics.duration.labels('passthrough', 'legacy');
  const passthroughLog = logger.child({
    route: 'passthrough',
    slice: 'passthrough',
    mode: 'passthrough',
    servedBy: 'legacy',
    reason: null,
    fallback: false,
  });
  // Metric children counted locally (src/observability/tally.ts), found again without building a key per request
  // (src/observability/children.ts).
  const requestsBy = childCache4((route, slice, by, outcome) => metrics.requests.tally(route, slice, by, outcome));
  const durationBy = childCache2((route, by) => metrics.duration.labels(route, by));
  const routingBy = childCache3((slice, target, reason) => metrics.routing.tally(slice, target, reason));
  const fallbacksBy = childCache2((slice, reason) => metrics.fallbacks.tally(slice, reason));
  const gapsBy = childCache1((slice) => metrics.mappingGaps.tally(slice));
  let seq = 0;
  const idPrefix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

  function requestIdOf(req: IncomingMessage): string {
    const given = req.headers['x-request-id'];
    if (typeof given === 'string' && given.length <= 64 && /^[\w.:-]+$/.test(given)) return given;
    seq = (seq + 1) | 0;
    return `${idPrefix}-${(seq >>> 0).toString(36)}`;
  }

  function finish(req: IncomingMessage, requestId: string, t0: number, o: Outcome): void {
    const seconds = (performance.now() - t0) / 1000;
    if (o.route === 'passthrough') {
      (o.error ? passthroughErr : passthroughOk).inc();
      passthroughDur.observe(seconds);
    } else {
      const outcome = o.error ? 'error' : o.fallback ? 'fallback' : 'ok';
      requestsBy(o.route, o.slice, o.servedBy, outcome).inc();
      durationBy(o.route, o.servedBy).observe(seconds);
    }
    if (o.error) metrics.upstreamErrors.labels(o.error.code).inc();
    if (recorder && !o.aborted) {
      const body = (req as Buffered)[BUFFERED] ?? null;
      recorder.record({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body,
        bodyStreamed: body === null && hasBody(req),
        status: o.status,
        servedBy: o.servedBy,
        slice: o.route === 'passthrough' ? null : o.slice,
        requestId,
      });
    }
    if (!accessLog) return;
    const ms = Math.round(seconds * 10_000) / 10;
    const url = redactQuery(req.url ?? '/', redactedParams);
    if (o.route === 'passthrough' && !o.error && !o.aborted) {
      // The common line: the constant fields are pre-serialised in the child logger's bindings.
      passthroughLog.info({ reqId: requestId, method: req.method, url, status: o.status, ms }, 'request');
      return;
    }
    logger.info(
      {
        reqId: requestId,
        method: req.method,
        url,
        status: o.status,
        route: o.route,
        slice: o.slice,
        mode: o.mode,
        servedBy: o.servedBy,
        reason: o.reason,
        fallback: o.fallback,
        errorCode: o.error?.code,
        aborted: o.aborted,
        ms,
      },
      'request',
    );
  }

  function finishPassthrough(req: IncomingMessage, requestId: string, t0: number, r: ForwardResult): void {
    finish(req, requestId, t0, {
      route: 'passthrough',
      slice: 'passthrough',
      mode: 'passthrough',
      servedBy: 'legacy',
      reason: null,
      fallback: false,
      status: r.status,
      error: r.error,
      aborted: r.aborted,
    });
  }

  function finishContract(
    req: IncomingMessage,
    requestId: string,
    t0: number,
    r: { route: string; status: number; error?: GatewayError },
  ): void {
    finish(req, requestId, t0, {
      route: r.route,
      slice: 'contracts',
      mode: 'live',
      servedBy: 'new',
      reason: null,
      fallback: false,
      status: r.status,
      ...(r.error && r.error.statusCode >= 500 ? { error: r.error } : {}),
    });
  }

  function forwardLegacy(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    body: Buffer | Readable | null | undefined,
    decision: string[] | undefined,
    done: (r: ForwardResult) => void,
    capture?: Parameters<typeof passthrough.forward>[0]['capture'],
  ): void {
    const call: Parameters<typeof passthrough.forward>[0] = {
      req,
      res,
      requestId,
      publicOrigin: deps.publicOrigin(req),
      done: (r) => {
        if (r.error && !r.aborted && !res.headersSent) sendProblem(res, r.error, requestId, decision);
        done(r);
      },
    };
    if (body !== undefined) call.body = body;
    if (capture) call.capture = capture;
    if (decision) call.extraResponseHeaders = decision;
    passthrough.forward(call);
  }

  /** The public request handler. */
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const t0 = performance.now();
    const requestId = requestIdOf(req);
    const url = req.url ?? '/';
    if (url.charCodeAt(0) !== 47 /* / */ && !normaliseTarget(req)) {
      if (url === '*') {
        // `OPTIONS *` asks about the server itself: legacy answers it, as it would directly.
        passthrough.forwardAsterisk(req, res, requestId, (r) => finishPassthrough(req, requestId, t0, r));
        return;
      }
      sendProblem(
        res,
        Errors.BAD_REQUEST.create({ detail: 'request target must be origin-form (/path) or absolute-form' }),
        requestId,
      );
      finishPassthrough(req, requestId, t0, { status: 400 });
      return;
    }
    if (deps.contractApi?.matches(req.url ?? '/')) {
      deps.contractApi.handle(req, res, requestId, deps.publicOrigin(req)).then(
        (r) => finishContract(req, requestId, t0, r),
        (err: unknown) => logger.error({ err, reqId: requestId }, 'contract api failure'),
      );
      return;
    }
    const match = router.match(req.method ?? 'GET', req.url ?? '/');
    const conversationId =
      match || !intents ? null : intents.match(req.method ?? 'GET', canonicalPath(req.url ?? '/') ?? '');
    if (conversationId !== null && intents) {
      intents.handle(req, res, conversationId, requestId, t0).catch((err: unknown) => {
        logger.error({ err, reqId: requestId }, 'intent pipeline failure');
        sendProblem(res, err instanceof GatewayError ? err : Errors.INTERNAL.create({ cause: err }), requestId);
      });
      return;
    }
    if (!match) {
      forwardLegacy(req, res, requestId, undefined, exposeHeaders ? PASSTHROUGH_DECISION : undefined, (r) =>
        finishPassthrough(req, requestId, t0, r),
      );
      return;
    }
    runSlice(match.route, match.params, req, res, requestId, t0).catch((err: unknown) => {
      logger.error({ err, reqId: requestId }, 'pipeline failure');
      const gw = err instanceof GatewayError ? err : Errors.INTERNAL.create({ cause: err });
      sendProblem(res, gw, requestId);
    });
  }

  function baseContext(req: IncomingMessage): FlagContext {
    const h = req.headers;
    const ctx: FlagContext = {};
    const tenant = h[ctxHeaders.tenant];
    const channel = h[ctxHeaders.channel];
    const region = h[ctxHeaders.region];
    const customer = h[ctxHeaders.customerId];
    const conversation = h[ctxHeaders.conversationId];
    if (typeof tenant === 'string') ctx.tenant = tenant;
    if (typeof channel === 'string') ctx.channel = channel;
    if (typeof region === 'string') ctx.region = region;
    if (typeof customer === 'string') ctx.customerId = customer;
    if (typeof conversation === 'string') ctx.conversationId = conversation;
    return ctx;
  }

  async function runSlice(
    rt: RouteRuntime<RouteSpec>,
    params: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    t0: number,
  ): Promise<void> {
    const { spec, stats } = rt;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const sreq: SliceRequest = {
      requestId,
      method: req.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      url,
      params,
      headers: req.headers,
      body: null,
    };
    const plan = decide(
      flags.planInputs(spec.slice, state.getPin(spec.slice) !== undefined, () => spec.context(sreq, baseContext(req))),
    );
    stats.requests++;
    const base = { route: spec.id, slice: spec.slice, mode: plan.mode } as const;

    const legacyDone =
      (reason: RoutingReason | FallbackReason, fallback: boolean) =>
      (r: ForwardResult): void => {
        if (r.error) stats.errors++;
        else stats.servedByLegacy++;
        if (fallback && (r.error || r.status >= 500)) count(stats.legacyFailed, reason as FallbackReason);
        // A flat literal: spreading conditional objects here cost ~5 % of the slice path (profile).
        finish(req, requestId, t0, {
          route: spec.id,
          slice: spec.slice,
          mode: plan.mode,
          servedBy: 'legacy',
          reason,
          fallback,
          status: r.status,
          error: r.error,
          aborted: r.aborted,
        });
      };
    const decisionHeaders = (reason: string | null, by: 'legacy' | 'new'): string[] | undefined =>
      exposeHeaders
        ? [
            'x-gateway-served-by',
            by,
            'x-gateway-mode',
            plan.mode,
            ...(reason ? ['x-gateway-fallback-reason', reason] : []),
          ]
        : undefined;

    if (plan.target === 'legacy') {
      count(stats.routing, plan.reason);
      routingBy(spec.slice, 'legacy', plan.reason).inc();
      if (plan.shadow) {
        runWithShadow(rt, sreq, req, res, requestId, decisionHeaders(null, 'legacy'), legacyDone(plan.reason, false));
        return;
      }
      forwardLegacy(
        req,
        res,
        requestId,
        undefined,
        decisionHeaders(plan.reason, 'legacy'),
        legacyDone(plan.reason, false),
      );
      return;
    }

    // The new path. Buffer the body first (capped): fallback must be able to send legacy the same request.
    let body: Buffer | null = null;
    if (hasBody(req)) {
      const b = await readBody(req, rt.maxBody);
      if (b.kind === 'overflow') {
        count(stats.routing, 'body_too_large');
        routingBy(spec.slice, 'legacy', 'body_too_large').inc();
        forwardLegacy(
          req,
          res,
          requestId,
          b.stream,
          decisionHeaders('body_too_large', 'legacy'),
          legacyDone('body_too_large', false),
        );
        return;
      }
      body = b.body;
      sreq.body = body;
      (req as Buffered)[BUFFERED] = body;
    }
    routingBy(spec.slice, 'new', plan.reason).inc();
    count(stats.routing, plan.reason);
    stats.newAttempts++;

    const fallBack = (reason: FallbackReason) => {
      count(stats.fallbacks, reason);
      fallbacksBy(spec.slice, reason).inc();
      forwardLegacy(req, res, requestId, body, decisionHeaders(reason, 'legacy'), legacyDone(reason, true));
    };
    if (!rt.breaker.tryAcquire()) {
      fallBack('breaker_open');
      return;
    }

    const ac = new AbortController();
    let committed = false;
    const onClose = () => {
      if (!res.writableFinished) ac.abort(Errors.CLIENT_ABORTED.create());
    };
    res.once('close', onClose);
    const hctx: HandlerContext = {
      signal: ac.signal,
      adapters: deps.adapters,
      forwardHeaders: adapterHeaders(req),
      dryRun: false,
      commit: () => {
        committed = true;
      },
      recordGaps: (paths) => gapsBy(spec.slice).inc(paths.length),
    };
    let answer: NewResponse;
    try {
      answer = await withDeadline(rt.deadlineMs, ac, () => spec.handler(sreq, hctx));
      if (answer.status >= 500) throw new NewPathStatusError(answer.status);
    } catch (err) {
      res.off('close', onClose);
      if (res.destroyed) {
        // The client left: nothing to fall back for, and no verdict on the new path.
        rt.breaker.release();
        finish(req, requestId, t0, {
          ...base,
          servedBy: 'new',
          reason: null,
          fallback: false,
          status: 499,
          aborted: true,
        });
        return;
      }
      if (err instanceof RequestBodyError && !committed) {
        // The client's request is one the contract does not model: legacy answers it in its own words. That says
        // nothing about the new path's health (no breaker failure, not a degradation for the pin-back rule).
        rt.breaker.release();
        fallBack('request_unmodelled');
        return;
      }
      rt.breaker.failure();
      const reason = classifyFailure(err);
      logger.warn({ reqId: requestId, slice: spec.slice, reason, err }, 'new path failed');
      if (committed) {
        // A side effect may have happened: answering from legacy could execute the request twice.
        stats.errors++;
        const gw = err instanceof GatewayError ? err : Errors.HANDLER_ERROR.create({ cause: err });
        sendProblem(res, gw, requestId, decisionHeaders(reason, 'new'));
        finish(req, requestId, t0, {
          ...base,
          servedBy: 'new',
          reason,
          fallback: false,
          status: gw.statusCode,
          error: gw,
        });
        return;
      }
      fallBack(reason);
      return;
    }
    res.off('close', onClose);
    rt.breaker.success();
    stats.servedByNew++;
    respondNew(req, res, answer, decisionHeaders(null, 'new'));
    finish(req, requestId, t0, {
      ...base,
      servedBy: 'new',
      reason: plan.reason,
      fallback: false,
      status: answer.status,
    });
  }

  function respondNew(
    req: IncomingMessage,
    res: ServerResponse,
    answer: NewResponse,
    extra: string[] | undefined,
  ): void {
    if (res.destroyed) return;
    const bodyless = req.method === 'HEAD' || answer.status === 204 || answer.status === 304;
    let body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
    if (deps.rewriter && !bodyless) body = deps.rewriter.body(body, deps.publicOrigin(req)) ?? body;
    const headers: string[] = [];
    const origin = deps.rewriter ? deps.publicOrigin(req) : '';
    for (const [k, v] of Object.entries(answer.headers)) {
      if (k === 'content-length' || k === 'transfer-encoding') continue;
      // Legacy's own address never reaches the client (as in passthrough): Location, Content-Location, Link.
      const rewrite = deps.rewriter && (k === 'location' || k === 'content-location' || k === 'link');
      headers.push(k, rewrite ? (deps.rewriter as OriginRewriter).headerValue(v, origin) : v);
    }
    if (!bodyless || req.method === 'HEAD') headers.push('content-length', String(body.length));
    if (extra) headers.push(...extra);
    res.writeHead(answer.status, headers);
    res.end(bodyless ? undefined : body);
  }

  function runWithShadow(
    rt: RouteRuntime<RouteSpec>,
    sreq: SliceRequest,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    extra: string[] | undefined,
    done: (r: ForwardResult) => void,
  ): void {
    const slice = rt.spec.slice;
    if (!shadow.admit(slice, req.headers['x-gateway-replay'] === undefined)) {
      forwardLegacy(req, res, requestId, undefined, extra, done);
      return;
    }
    if (!hasBody(req)) {
      shadowLegacy(rt, sreq, req, res, requestId, extra, done, undefined);
      return;
    }
    // The candidate needs a copy of the body: buffer it (capped) and send legacy exactly the same bytes.
    readBody(req, Math.min(rt.maxBody, config.shadow.maxBodyBytes)).then(
      (b) => {
        if (b.kind === 'overflow') {
          shadow.release();
          shadow.skip(slice, 'body_too_large');
          forwardLegacy(req, res, requestId, b.stream, extra, done);
          return;
        }
        sreq.body = b.body;
        (req as Buffered)[BUFFERED] = b.body;
        shadowLegacy(rt, sreq, req, res, requestId, extra, done, b.body);
      },
      (err: unknown) => {
        shadow.release();
        logger.debug({ reqId: requestId, err }, 'client body failed while buffering for a shadow run');
        done({ status: 499, aborted: true });
      },
    );
  }

  function shadowLegacy(
    rt: RouteRuntime<RouteSpec>,
    sreq: SliceRequest,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    extra: string[] | undefined,
    done: (r: ForwardResult) => void,
    body: Buffer | undefined,
  ): void {
    const { spec } = rt;
    const slice = spec.slice;
    rt.stats.shadowed++;
    const forwardHeaders = adapterHeaders(req);
    const fctx = baseContext(req);
    const replay = req.headers['x-gateway-replay'];
    const idempotentRead = !spec.write && (sreq.method === 'GET' || sreq.method === 'HEAD');
    forwardLegacy(req, res, requestId, body ?? undefined, extra, done, {
      maxBytes: config.shadow.maxBodyBytes,
      onCaptured: (status, headers, captured) => {
        if (status === 0) {
          shadow.release();
          return;
        }
        const gaps = gapsBy(slice);
        const legacy = { status, headers, body: captured };
        const primed = primedAdapters
          ? primedKeyOf(sreq.method, legacyUrl(legacyBase, sreq.url), req.headers, legacy)
          : null;
        const adapters =
          primed && primedAdapters
            ? (onHit: () => void) => primedAdapters(primedRead(primed, legacy), onHit)
            : deps.adapters;
        shadow.run({
          slice,
          route: spec.id,
          requestId,
          method: sreq.method,
          path: redactQuery(sreq.url, redactedParams),
          tenant: fctx.tenant ?? null,
          channel: fctx.channel ?? null,
          replay: typeof replay === 'string' ? replay.slice(0, 64) : null,
          legacy,
          request: { method: sreq.method, path: sreq.path, body: sreq.body },
          comparison: spec.comparison ?? null,
          // Shadow runs never write: write methods only record what they would have done.
          candidate: dryRunCandidate(spec, sreq, adapters, forwardHeaders, (paths) => gaps.inc(paths.length)),
          legacyAgain: idempotentRead
            ? (signal) => deps.legacyAgain(sreq.method, sreq.url, passthrough.readHeaders(req), signal)
            : undefined,
          remote: {
            route: routeRef(spec),
            request: sreq,
            forwardHeaders,
            primed,
            recordGaps: (count) => gaps.inc(count),
          },
        });
      },
    });
  }

  const intents = deps.ai
    ? createIntentRouter({
        config,
        metrics,
        logger,
        flags,
        state,
        shadow,
        adapters: deps.adapters,
        ai: deps.ai,
        makeRuntime,
        baseContext,
        adapterHeaders,
        forwardLegacy,
        finish,
        decisionHeaders: (mode, by, reason) =>
          exposeHeaders
            ? [
                'x-gateway-served-by',
                by,
                'x-gateway-mode',
                mode,
                ...(reason && reason !== 'flag_on' && reason !== 'flag_off'
                  ? ['x-gateway-fallback-reason', reason]
                  : []),
              ]
            : undefined,
      })
    : null;
  const runtimes: RouteRuntime[] = [...sliceRuntimes, ...(intents?.runtimes ?? [])];
  return { handle, runtimes };
}

/** The client headers a new path or contract endpoint passes on to legacy adapters. */
export function adapterHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  // A header the client nominated as hop-by-hop (`Connection: authorization`) is not forwarded, as on the passthrough.
  const nominated = req.headers.connection === undefined ? null : connectionTokens(req.headers.connection);
  for (const name of ADAPTER_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string' && !nominated?.has(name)) out[name] = v;
  }
  return out;
}

/** The request body the pipeline buffered (slice routes, shadow copies, customer messages), for the recorder. */
export const BUFFERED = Symbol('gateway.bufferedBody');
export type Buffered = IncomingMessage & { [BUFFERED]?: Buffer };

const PASSTHROUGH_DECISION = ['x-gateway-served-by', 'legacy'];

/**
 * Absolute-form request targets (`GET http://host/path`) are reduced to origin-form: the authority in them is never
 * used to route (no SSRF through the request line). Returns false for targets that are neither.
 */
function normaliseTarget(req: IncomingMessage): boolean {
  const origin = originFormTarget(req.url ?? '');
  if (origin === null) return false;
  req.url = origin;
  return true;
}

function count<K extends string>(rec: Partial<Record<K, number>>, key: K): void {
  rec[key] = (rec[key] ?? 0) + 1;
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

export type Pipeline = ReturnType<typeof createPipeline>;
