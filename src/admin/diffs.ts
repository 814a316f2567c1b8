import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { z } from 'zod';
import { Errors, type GatewayError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { NoiseLearner } from '../shadow/noise.js';
import { type DiffQuery, type DiffStore, RESULT_CLASSES } from '../shadow/types.js';
import type { StateStore } from '../state/types.js';
import type { Principal } from './auth.js';

export interface DiffRoutesDeps {
  store: DiffStore;
  noise: NoiseLearner;
  state: StateStore;
  logger: Logger;
  guard(action: 'read' | 'noise'): onRequestHookHandler;
  problem(reply: FastifyReply, err: GatewayError): FastifyReply;
}

const Text = z.string().trim().min(1).max(200);
const QuerySchema = z
  .object({
    slice: Text.optional(),
    result: z.enum(RESULT_CLASSES as [string, ...string[]]).optional(),
    field: Text.optional(),
    tenant: Text.optional(),
    channel: Text.optional(),
    replay: Text.optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

const NoiseDecisionSchema = z
  .object({
    slice: Text,
    path: Text,
    action: z.enum(['accept', 'reject', 'reset']),
    reason: z.string().trim().min(3, 'say why (reason)').max(500),
    /** Accept only: when the accepted difference stops being accepted (ISO timestamp, in the future). */
    expiresAt: z.iso
      .datetime({ offset: true })
      .refine((s) => Date.parse(s) > Date.now(), 'must be in the future')
      .optional(),
  })
  .strict();

function details(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ');
}

/** QA's API: diff records (filters, pagination), the summary, one record, and the learned-noise workflow. */
export function registerDiffRoutes(app: FastifyInstance, deps: DiffRoutesDeps): void {
  const parseQuery = (req: FastifyRequest, reply: FastifyReply): DiffQuery | null => {
    const q = QuerySchema.safeParse(req.query ?? {});
    if (!q.success) {
      deps.problem(reply, Errors.BAD_REQUEST.create({ detail: details(q.error) }));
      return null;
    }
    return q.data as DiffQuery;
  };

  app.get('/admin/diffs', { onRequest: deps.guard('read') }, async (req, reply) => {
    const q = parseQuery(req, reply);
    if (!q) return reply;
    return deps.store.list(q);
  });
  app.get('/admin/diffs/summary', { onRequest: deps.guard('read') }, async (req, reply) => {
    const q = parseQuery(req, reply);
    if (!q) return reply;
    const { cursor: _c, limit: _l, ...rest } = q;
    return { ...(await deps.store.summary(rest)), backend: deps.store.backend };
  });
  app.get<{ Params: { id: string } }>('/admin/diffs/:id', { onRequest: deps.guard('read') }, async (req, reply) => {
    const record = await deps.store.get(req.params.id);
    if (!record) return deps.problem(reply, Errors.NOT_FOUND.create({ detail: `no diff record ${req.params.id}` }));
    return record;
  });
  app.get<{ Querystring: { slice?: string } }>('/admin/noise', { onRequest: deps.guard('read') }, async (req) => ({
    items: deps.noise.list(typeof req.query.slice === 'string' ? req.query.slice : undefined),
  }));
  app.post('/admin/noise/decisions', { onRequest: deps.guard('noise') }, async (req, reply) => {
    const parsed = NoiseDecisionSchema.safeParse(req.body ?? {});
    if (!parsed.success) return deps.problem(reply, Errors.BAD_REQUEST.create({ detail: details(parsed.error) }));
    const d = parsed.data;
    if (d.expiresAt && d.action !== 'accept') {
      return deps.problem(reply, Errors.BAD_REQUEST.create({ detail: 'expiresAt: only an accept expires' }));
    }
    const who = (req as FastifyRequest & { principal: Principal }).principal;
    const entry = deps.noise.decide(d.slice, d.path, {
      action: d.action,
      reason: d.reason,
      by: who.name,
      ...(d.expiresAt ? { expiresAt: new Date(d.expiresAt).toISOString() } : {}),
    });
    await deps.state.appendAudit({
      at: new Date().toISOString(),
      actor: who.name,
      role: who.role,
      action: `noise.${d.action}`,
      slice: d.slice,
      reason: d.reason,
      note: d.path,
    });
    deps.logger.info({ slice: d.slice, path: d.path, actor: who.name, action: d.action }, 'noise decision');
    return entry;
  });
}
