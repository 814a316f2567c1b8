import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { NoiseEntry } from '../../src/shadow/noise.js';
import {
  type DiffPage,
  type DiffRecord,
  type DiffSummary,
  type FieldDiff,
  RESULT_CLASSES,
  type ResultClass,
  type SliceSummary,
} from '../../src/shadow/types.js';

/**
 * A stand-in for the gateway's admin diff API (GET /admin/diffs, /admin/diffs/summary, /admin/diffs/:id,
 * /admin/noise) serving records built with the shared types. It filters, pages and summarises the records it holds,
 * so what a CLI prints is computed from the fixtures, not written into the stub.
 */

export const TOKEN = 'viewer-token-0123456789';
/** A token the stub knows but whose role may not read (the real gateway has no such role today). */
export const BLOCKED_TOKEN = 'blocked-token-0123456789';

let seq = 0;
export function makeRecord(over: Partial<DiffRecord> = {}): DiffRecord {
  seq++;
  const slice = over.slice ?? 'tickets.get';
  return {
    id: `rec-${seq}`,
    at: new Date(Date.now() - 60_000).toISOString(),
    slice,
    route: slice,
    requestId: `req-${seq}`,
    tenant: 'acme',
    channel: 'web',
    contract: 'TicketV1',
    method: 'GET',
    path: `/api/v2/tickets/${seq}.json`,
    result: 'match',
    fields: [],
    noise: [],
    schemaIssues: [],
    gaps: [],
    legacy: { status: 200, body: { id: seq, subject: 'Printer on fire' } },
    candidate: { status: 200, body: { id: seq, subject: 'Printer on fire' }, durationMs: 12 },
    replay: null,
    ...over,
  };
}

export const diff = (path: string, legacy: unknown, candidate: unknown, over: Partial<FieldDiff> = {}): FieldDiff => ({
  path,
  kind: 'changed',
  comparator: 'strict',
  legacy,
  candidate,
  ...over,
});

const MISMATCH = new Set<ResultClass>(['value_mismatch', 'schema_error', 'mapping_gap']);
const norm = (p: string) => p.replace(/\[\d+\]/g, '[]');

type Query = Record<string, string | undefined>;

function matches(r: DiffRecord, q: Query): boolean {
  if (q.slice && r.slice !== q.slice) return false;
  if (q.result && r.result !== q.result) return false;
  if (q.tenant && r.tenant !== q.tenant) return false;
  if (q.channel && r.channel !== q.channel) return false;
  if (q.replay && r.replay !== q.replay) return false;
  if (q.since && Date.parse(r.at) < Date.parse(q.since)) return false;
  const field = q.field;
  if (field && !r.fields.some((f) => norm(f.path).startsWith(field))) return false;
  return true;
}

export function summarise(records: readonly DiffRecord[]): DiffSummary {
  const slices = new Map<string, DiffRecord[]>();
  for (const r of records) slices.set(r.slice, [...(slices.get(r.slice) ?? []), r]);
  const top = (rs: DiffRecord[], pick: (r: DiffRecord) => FieldDiff[]) => {
    const counts = new Map<string, number>();
    for (const r of rs)
      for (const p of new Set(pick(r).map((f) => norm(f.path)))) counts.set(p, (counts.get(p) ?? 0) + 1);
    return [...counts].map(([path, count]) => ({ path, count })).sort((a, b) => b.count - a.count);
  };
  const sliceSummaries: SliceSummary[] = [...slices].map(([slice, rs]) => {
    const byResult = Object.fromEntries(
      RESULT_CLASSES.map((c) => [c, rs.filter((r) => r.result === c).length]),
    ) as Record<ResultClass, number>;
    const failed = byResult.candidate_error + byResult.candidate_timeout;
    const mismatches = rs.filter((r) => MISMATCH.has(r.result)).length;
    return {
      slice,
      total: rs.length,
      byResult,
      mismatchRate: rs.length - failed ? mismatches / (rs.length - failed) : null,
      topFields: top(rs, (r) => r.fields),
      noiseFields: top(rs, (r) => r.noise),
    };
  });
  const group = (key: 'tenant' | 'channel') => {
    const m = new Map<string, { total: number; mismatches: number }>();
    for (const r of records) {
      const k = r[key];
      if (!k) continue;
      const g = m.get(k) ?? { total: 0, mismatches: 0 };
      g.total++;
      if (MISMATCH.has(r.result)) g.mismatches++;
      m.set(k, g);
    }
    return [...m];
  };
  return {
    total: records.length,
    slices: sliceSummaries,
    byTenant: group('tenant').map(([tenant, g]) => ({ tenant, ...g })),
    byChannel: group('channel').map(([channel, g]) => ({ channel, ...g })),
  };
}

export interface StubOptions {
  records?: DiffRecord[];
  noise?: NoiseEntry[];
  /** Largest page the stub serves whatever `limit` asks (to exercise cursors). */
  maxPage?: number;
  /** Milliseconds before answering (to exercise client timeouts). */
  delayMs?: number;
}

export interface AdminStub {
  url: string;
  /** Every request the stub got: path, query and the Authorization header. */
  requests: Array<{ path: string; query: Query; authorization: string | undefined }>;
  records: DiffRecord[];
  close(): Promise<void>;
}

function problem(status: number, title: string, detail?: string) {
  return { type: 'about:blank', title, status, ...(detail ? { detail } : {}) };
}

export async function startAdminStub(opts: StubOptions = {}): Promise<AdminStub> {
  const app = Fastify({ logger: false });
  const records = opts.records ?? [];
  const requests: AdminStub['requests'] = [];
  app.addHook('onRequest', async (req, reply) => {
    const url = new URL(req.url, 'http://stub');
    requests.push({
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: req.headers.authorization,
    });
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const auth = req.headers.authorization;
    if (auth === `Bearer ${BLOCKED_TOKEN}`) {
      return reply
        .code(403)
        .type('application/problem+json')
        .send(problem(403, 'Forbidden', 'role auditor may not read'));
    }
    if (auth !== `Bearer ${TOKEN}`) {
      return reply.code(401).type('application/problem+json').send(problem(401, 'Missing or invalid token'));
    }
    return undefined;
  });
  const validate = (q: Query): string | null => {
    if (q.result && !RESULT_CLASSES.includes(q.result as ResultClass)) return `result: invalid option`;
    if (q.since && (Number.isNaN(Date.parse(q.since)) || Date.parse(q.since) > Date.now() + 60_000)) {
      return 'since: must be an ISO timestamp, not in the future';
    }
    if (q.limit && !(Number(q.limit) >= 1 && Number(q.limit) <= 500)) return 'limit: 1-500';
    return null;
  };
  /** The list and the summary refuse a bad filter with a 400 problem, as the admin API does. */
  const checkQuery = async (req: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) => {
    const bad = validate(req.query);
    if (bad)
      return reply
        .code(400)
        .type('application/problem+json')
        .send(problem(400, 'Bad request', bad));
    return undefined;
  };
  app.get<{ Querystring: Query }>('/admin/diffs', { preHandler: checkQuery }, async (req) => {
    const all = records.filter((r) => matches(r, req.query));
    const start = Number(req.query.cursor ?? 0);
    const size = Math.min(Number(req.query.limit ?? 50), opts.maxPage ?? 500);
    const items = all.slice(start, start + size);
    const page: DiffPage = { items, nextCursor: start + size < all.length ? String(start + size) : null };
    return page;
  });
  app.get<{ Querystring: Query }>('/admin/diffs/summary', { preHandler: checkQuery }, async (req) => {
    return { ...summarise(records.filter((r) => matches(r, req.query))), backend: 'memory' };
  });
  app.get<{ Params: { id: string } }>('/admin/diffs/:id', async (req, reply) => {
    const r = records.find((x) => x.id === req.params.id);
    if (!r) return reply.code(404).type('application/problem+json').send(problem(404, 'Not found'));
    return r;
  });
  app.get<{ Querystring: Query }>('/admin/noise', async (req) => ({
    items: (opts.noise ?? []).filter((n) => !req.query.slice || n.slice === req.query.slice),
  }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, requests, records, close: () => app.close() };
}

/** Collects what a CLI function writes. */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (s: string) => out.push(s),
    err: (s: string) => err.push(s),
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}

/** A fixture set: two slices, several result classes, real differences, noise and hostile values. */
export function fixtureRecords(): DiffRecord[] {
  return [
    makeRecord({ slice: 'tickets.get', result: 'match', noise: [diff('updatedAt', 'a', 'b', { noise: 'learned' })] }),
    makeRecord({
      slice: 'tickets.get',
      result: 'value_mismatch',
      fields: [diff('status', 'open', 'pending', { comparator: 'enum' })],
      noise: [
        diff('updatedAt', '2024-01-01T00:00:00Z', '2024-01-01T00:00:05Z', {
          noise: 'learned',
          comparator: 'timestamp',
          score: 5000,
        }),
      ],
    }),
    makeRecord({
      slice: 'tickets.get',
      result: 'value_mismatch',
      fields: [
        diff('status', 'open', 'solved', { comparator: 'enum' }),
        diff('tags', ['a'], ['b'], { comparator: 'set' }),
      ],
    }),
    makeRecord({ slice: 'tickets.get', result: 'candidate_timeout', error: 'deadline 5000 ms', tenant: 'globex' }),
    makeRecord({ slice: 'users.get', result: 'match', channel: 'phone' }),
    makeRecord({
      slice: 'users.get',
      result: 'schema_error',
      channel: 'phone',
      schemaIssues: [{ side: 'candidate', path: 'email', message: 'Invalid email' }],
    }),
  ];
}

export const fixtureNoise = (): NoiseEntry[] => [
  { slice: 'tickets.get', path: 'updatedAt', samples: 40, differing: 40, status: 'learned' },
  {
    slice: 'users.get',
    path: 'lastLoginAt',
    samples: 10,
    differing: 9,
    status: 'accepted',
    reason: 'login times differ by design',
    by: 'qa-anna',
    decidedAt: '2024-05-01T10:00:00.000Z',
    expiresAt: '2099-01-01T00:00:00.000Z',
  },
  { slice: 'users.get', path: 'id', samples: 10, differing: 1, status: 'learning' },
];
