import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { contractJsonSchema, listContracts } from '../../contracts/registry.js';
import type { Role } from '../config.js';
import { Errors, GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { FlagGate } from '../pipeline/flags.js';
import { FALLBACK_REASONS } from '../pipeline/plan.js';
import type { SliceMonitor } from '../pipeline/rollback.js';
import type { RouteRuntime } from '../pipeline/run.js';
import { fallbackRate } from '../pipeline/stats.js';
import type { NoiseLearner } from '../shadow/noise.js';
import type { DiffStore } from '../shadow/types.js';
import type { StateStore } from '../state/types.js';
import { createAuthenticator, PERMISSIONS, type Principal } from './auth.js';
import { registerConsole } from './console.js';
import { registerDiffRoutes } from './diffs.js';

export interface AdminDeps {
  logger: Logger;
  metrics: Metrics;
  flags: FlagGate;
  state: StateStore;
  runtimes: readonly RouteRuntime[];
  tokens: readonly { token: string; role: Role; name: string }[];
  diffs: DiffStore;
  noise: NoiseLearner;
  monitor: SliceMonitor;
  /** Readiness: flags loaded and legacy reached once; false while shutting down. */
  readiness(): { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };
}

const PinBody = z
  .object({
    note: z.string().trim().min(1, 'say why (note)').max(500),
  })
  .strict();

/** The admin port: health, readiness and metrics (open), and the token-protected admin API. */
export function buildAdminApp(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 65_536 });
  const authenticate = createAuthenticator(deps.tokens);
  const bySlice = new Map(deps.runtimes.map((r) => [r.spec.slice, r]));

  function problem(reply: FastifyReply, err: GatewayError) {
    return reply
      .code(err.statusCode)
      .type(PROBLEM_CONTENT_TYPE)
      .send(toProblem(err, String(reply.request.id)));
  }
  function guard(action: keyof typeof PERMISSIONS) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const who = authenticate(req.headers.authorization);
      if (!who) return problem(reply, Errors.UNAUTHORIZED.create());
      if (!(PERMISSIONS[action] as readonly Role[]).includes(who.role)) {
        return problem(reply, Errors.FORBIDDEN.create({ detail: `role ${who.role} may not ${action}` }));
      }
      (req as FastifyRequest & { principal?: Principal }).principal = who;
      return undefined;
    };
  }

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    // Fastify's own 4xx (bad JSON, too large, wrong content type) are the client's; anything else is ours.
    const status = err.statusCode ?? 500;
    if (status >= 500 || status < 400) {
      deps.logger.error({ err, url: req.url }, 'admin error');
      return problem(reply, Errors.INTERNAL.create());
    }
    return problem(reply, new GatewayError('GW_BAD_REQUEST', status, err.message, { expose: true }));
  });
  app.setNotFoundHandler((_req, reply) => problem(reply, Errors.NOT_FOUND.create()));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = deps.readiness();
    return reply.code(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
  });
  app.get('/metrics', async (_req, reply) => {
    const s = deps.flags.provider.status();
    deps.metrics.flagProviderUp.set(s.up ? 1 : 0);
    const staleness = deps.flags.stalenessSeconds();
    deps.metrics.flagStaleness.set(Number.isFinite(staleness) ? staleness : -1);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  registerConsole(app);

  app.get('/admin/slices', { onRequest: guard('read') }, async () => {
    const killSwitch = deps.flags.usable() && deps.flags.killSwitch();
    return {
      flags: {
        ...deps.flags.provider.status(),
        usable: deps.flags.usable(),
        stalenessSeconds: deps.flags.stalenessSeconds(),
        killSwitch,
      },
      state: { backend: deps.state.backend, healthy: deps.state.healthy() },
      slices: deps.runtimes.map((rt) => sliceView(rt, killSwitch)),
    };
  });
  app.get<{ Params: { id: string } }>('/admin/slices/:id', { onRequest: guard('read') }, async (req, reply) => {
    const rt = bySlice.get(req.params.id);
    if (!rt) return problem(reply, Errors.NOT_FOUND.create({ detail: `no slice ${req.params.id}` }));
    return sliceView(rt, deps.flags.usable() && deps.flags.killSwitch());
  });
  app.post<{ Params: { id: string } }>('/admin/slices/:id/pin', { onRequest: guard('pin') }, async (req, reply) => {
    return changePin(req, reply, 'pin');
  });
  app.post<{ Params: { id: string } }>('/admin/slices/:id/unpin', { onRequest: guard('pin') }, async (req, reply) => {
    return changePin(req, reply, 'unpin');
  });
  app.get('/admin/whoami', { onRequest: guard('read') }, async (req) => {
    const who = (req as FastifyRequest & { principal: Principal }).principal;
    const may = (Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]).filter((a) =>
      (PERMISSIONS[a] as readonly Role[]).includes(who.role),
    );
    return { name: who.name, role: who.role, permissions: may };
  });
  app.get<{ Querystring: { minutes?: string } }>('/admin/series', { onRequest: guard('read') }, async (req) => {
    const minutes = Math.min(Math.max(Number(req.query.minutes ?? 60) || 60, 1), 60);
    const slices = [...bySlice.keys()];
    return { minutes, slices: await deps.monitor.rolling.series(slices, minutes) };
  });
  app.get('/admin/contracts', { onRequest: guard('read') }, async () => ({
    contracts: listContracts().map((c) => ({ ...c, href: `/admin/contracts/${c.version}/${c.name}` })),
  }));
  app.get<{ Params: { version: string; name: string } }>(
    '/admin/contracts/:version/:name',
    { onRequest: guard('read') },
    async (req, reply) => {
      const schema = contractJsonSchema(req.params.version, req.params.name);
      if (schema === undefined) {
        return problem(
          reply,
          Errors.NOT_FOUND.create({ detail: `no contract ${req.params.version}/${req.params.name}` }),
        );
      }
      return reply.type('application/schema+json').send(schema);
    },
  );
  app.get<{ Querystring: { limit?: string } }>('/admin/audit', { onRequest: guard('read') }, async (req) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000);
    return { entries: await deps.state.audit(limit) };
  });

  registerDiffRoutes(app, {
    store: deps.diffs,
    noise: deps.noise,
    state: deps.state,
    logger: deps.logger,
    guard,
    problem,
  });

  async function changePin(
    req: FastifyRequest<{ Params: { id: string } }>,
    reply: FastifyReply,
    action: 'pin' | 'unpin',
  ) {
    const slice = req.params.id;
    if (!bySlice.has(slice)) return problem(reply, Errors.NOT_FOUND.create({ detail: `no slice ${slice}` }));
    const parsed = PinBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      return problem(
        reply,
        Errors.BAD_REQUEST.create({
          detail: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
        }),
      );
    }
    const who = (req as FastifyRequest & { principal: Principal }).principal;
    const at = new Date().toISOString();
    const note = parsed.data.note;
    if (action === 'pin') {
      await deps.state.pin({ slice, reason: 'manual', by: who.name, at, note });
      deps.metrics.slicePinned.labels(slice, 'manual').set(1);
    } else {
      const prev = await deps.state.unpin(slice);
      if (prev) deps.metrics.slicePinned.labels(slice, prev.reason).set(0);
    }
    await deps.state.appendAudit({
      at,
      actor: who.name,
      role: who.role,
      action,
      slice,
      reason: action === 'pin' ? 'manual' : 'unpin',
      note,
    });
    deps.logger.warn({ slice, actor: who.name, role: who.role, note }, `slice ${action}ned`);
    const rt = bySlice.get(slice) as RouteRuntime;
    return sliceView(rt, deps.flags.usable() && deps.flags.killSwitch());
  }

  function sliceView(rt: RouteRuntime, killSwitch: boolean) {
    const f = deps.flags.slice(rt.spec.slice);
    const pin = deps.state.getPin(rt.spec.slice) ?? null;
    const rate = fallbackRate(rt.stats);
    const routedTo = killSwitch
      ? 'legacy (kill switch)'
      : pin
        ? 'legacy (pinned)'
        : !deps.flags.usable()
          ? 'legacy (flags stale)'
          : f.stage;
    return {
      id: rt.spec.slice,
      route: rt.spec.id,
      method: rt.spec.method,
      paths: rt.spec.paths,
      description: rt.spec.description,
      mode: routedTo,
      stage: f.stage,
      flags: {
        serve: {
          name: f.serveName,
          ...(f.serve
            ? { enabled: f.serve.enabled, rolloutPercent: f.serve.rolloutPercent, constrained: f.serve.constrained }
            : { defined: false }),
        },
        shadow: {
          name: f.shadowName,
          ...(f.shadow
            ? { enabled: f.shadow.enabled, rolloutPercent: f.shadow.rolloutPercent, constrained: f.shadow.constrained }
            : { defined: false }),
        },
      },
      pin,
      breaker: {
        state: rt.breaker.state,
        ...rt.breaker.stats(),
        /** The last breaker announcement for the slice from any replica (shared state), or null. */
        shared: deps.state.breakers().find((b) => b.slice === rt.spec.slice) ?? null,
      },
      deadlineMs: rt.deadlineMs,
      requests: { ...rt.stats },
      fallbackRate: rate.total,
      /** The automatic pin-back rule's last verdict over its window (shared across replicas with Redis). */
      health: deps.monitor.health(rt.spec.slice) ?? null,
      fallbackRateByReason: Object.fromEntries(
        FALLBACK_REASONS.filter((r) => rate.byReason[r] !== undefined).map((r) => [r, rate.byReason[r]]),
      ),
    };
  }

  return app;
}
