import { Agent, request } from 'undici';

/**
 * Steady load through the gateway for the chaos suite and the Redis outage e2e test: a fixed mix of passthrough
 * reads, the served slice (tickets.get), ticket creates with an Idempotency-Key, and customer messages (an AI-served
 * FAQ intent and a shadowed order-status intent), paced at `rps` with at most `concurrency` in flight. Every request
 * ends as an HTTP answer or as "unanswered" (socket error or client timeout with no status): the latter fails the
 * suite.
 */

export type Kind = 'passthrough' | 'slice' | 'create' | 'ai_faq' | 'ai_shadow';
/** `recovery`: healed, settling (reconnects, breakers half-opening); `after`: checked like `before`. */
export type Phase = 'before' | 'fault' | 'recovery' | 'after';

export interface RequestRecord {
  kind: Kind;
  /** The phase when the request was sent. */
  phase: Phase;
  /** The phase when its answer (or failure) came. */
  endPhase: Phase;
  /** The retry of a failed write with the same Idempotency-Key (sent after healing). */
  retry: boolean;
  /** HTTP status, or null when no answer came (socket error, client timeout). */
  status: number | null;
  servedBy: string | null;
  reason: string | null;
  /** The answer is the gateway's own application/problem+json. */
  problem: boolean;
  /** Legacy produced the answer bytes (`Server: legacy-sim`). */
  fromLegacy: boolean;
  /** Why there was no answer. */
  error: string | null;
  ms: number;
  /** The requested ticket id (slice) and the answered one, for the transparency check. */
  ticketAsked?: number;
  ticketGot?: number | null;
  idempotencyKey?: string;
  /** Legacy's `x-idempotency-lookup` (`hit` when it replayed a stored answer instead of writing again). */
  lookup?: string | null;
}

export interface LoadOptions {
  baseUrl: string;
  /** Unique per run: Idempotency-Keys and conversation ids are derived from it. */
  runId: string;
  rps?: number;
  concurrency?: number;
  /** Client-side limit for one request (headers and body). */
  timeoutMs?: number;
}

export interface Load {
  setPhase(p: Phase): void;
  /** Stops sending, waits for what is in flight, then retries each failed write once with its Idempotency-Key. */
  stop(): Promise<RequestRecord[]>;
  records: RequestRecord[];
}

/** The order of kinds in one cycle of ten requests. */
const MIX: readonly Kind[] = [
  'passthrough',
  'slice',
  'ai_faq',
  'create',
  'passthrough',
  'slice',
  'ai_shadow',
  'passthrough',
  'slice',
  'ai_faq',
];

export const FAQ_TEXT = 'what are your opening hours?';
export const ORDER_TEXT = 'where is my order A-1001?';

interface Planned {
  kind: Kind;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  ticketAsked?: number;
  idempotencyKey?: string;
}

export function plan(kind: Kind, n: number, runId: string): Planned {
  const customer = String(10_001 + (n % 30));
  switch (kind) {
    case 'passthrough':
      return { kind, method: 'GET', path: `/api/v2/users/${(n % 30) + 1}.json`, headers: {} };
    case 'slice': {
      const id = (n % 120) + 1;
      return {
        kind,
        method: 'GET',
        path: `/api/v2/tickets/${id}.json`,
        headers: { 'x-customer-id': customer },
        ticketAsked: id,
      };
    }
    case 'create': {
      const key = `${runId}-create-${n}`;
      return {
        kind,
        method: 'POST',
        path: '/api/v2/tickets.json',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ ticket: { subject: `chaos ${n}`, comment: { body: 'created under chaos' } } }),
        idempotencyKey: key,
      };
    }
    case 'ai_faq':
    case 'ai_shadow': {
      const key = `${runId}-msg-${n}`;
      const text = kind === 'ai_faq' ? FAQ_TEXT : ORDER_TEXT;
      return {
        kind,
        method: 'POST',
        path: `/api/v2/conversations/${runId}-conv-${n}/messages`,
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ message: { author: { type: 'user', id: '10001' }, content: { type: 'text', text } } }),
        idempotencyKey: key,
      };
    }
  }
}

/**
 * A few requests of every kind, not counted: a freshly started gateway answers its first requests slowly (connection
 * pools, lazy code paths), which would otherwise show up as the "before" phase's latency.
 */
export async function warmUp(baseUrl: string, runId: string, rounds = 3): Promise<void> {
  const kinds: Kind[] = ['passthrough', 'slice', 'create', 'ai_faq', 'ai_shadow'];
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      kinds.map(async (kind, i) => {
        const p = plan(kind, 1_000_000 + round * kinds.length + i, `${runId}-warmup`);
        const res = await request(`${baseUrl}${p.path}`, {
          method: p.method,
          headers: p.headers,
          ...(p.body === undefined ? {} : { body: p.body }),
          signal: AbortSignal.timeout(15_000),
        });
        await res.body.dump();
      }),
    );
  }
}

export function startLoad(opts: LoadOptions): Load {
  const rps = opts.rps ?? 40;
  const concurrency = opts.concurrency ?? 8;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const agent = new Agent({ connections: concurrency, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const records: RequestRecord[] = [];
  const inflight = new Set<Promise<void>>();
  let phase: Phase = 'before';
  let stopped = false;
  let n = 0;

  async function send(p: Planned, retry: boolean): Promise<void> {
    const t0 = performance.now();
    const rec: RequestRecord = {
      kind: p.kind,
      phase,
      endPhase: phase,
      retry,
      status: null,
      servedBy: null,
      reason: null,
      problem: false,
      fromLegacy: false,
      error: null,
      ms: 0,
    };
    if (p.ticketAsked !== undefined) rec.ticketAsked = p.ticketAsked;
    if (p.idempotencyKey !== undefined) rec.idempotencyKey = p.idempotencyKey;
    try {
      const res = await request(`${opts.baseUrl}${p.path}`, {
        method: p.method,
        headers: p.headers,
        ...(p.body === undefined ? {} : { body: p.body }),
        dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.body.text();
      rec.status = res.statusCode;
      const h = (name: string) => {
        const v = res.headers[name];
        return typeof v === 'string' ? v : null;
      };
      rec.servedBy = h('x-gateway-served-by');
      rec.reason = h('x-gateway-fallback-reason');
      rec.problem = (h('content-type') ?? '').startsWith('application/problem+json');
      rec.fromLegacy = h('server') === 'legacy-sim';
      if (p.ticketAsked !== undefined && res.statusCode === 200) rec.ticketGot = ticketIdOf(text);
      if (p.idempotencyKey !== undefined) rec.lookup = h('x-idempotency-lookup');
    } catch (err) {
      rec.error = (err as Error).name === 'TimeoutError' ? `client timeout ${timeoutMs} ms` : describe(err);
    }
    rec.ms = Math.round(performance.now() - t0);
    rec.endPhase = phase;
    records.push(rec);
  }

  function track(p: Promise<void>): void {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }

  const interval = 1000 / rps;
  const started = performance.now();
  let sent = 0;
  const loop = (async () => {
    while (!stopped) {
      // Paced: request k goes out at k/rps; when `concurrency` are in flight the generator waits (back-pressure).
      const due = started + sent * interval;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (stopped) break;
      while (inflight.size >= concurrency && !stopped) await Promise.race(inflight);
      if (stopped) break;
      const i = n++;
      const kind = MIX[i % MIX.length] as Kind;
      track(send(plan(kind, i, opts.runId), false));
      sent++;
      if (performance.now() - due > 1_000) sent = Math.floor((performance.now() - started) / interval); // no bursts
    }
  })();

  return {
    records,
    setPhase(p) {
      phase = p;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inflight]);
      // A write whose answer was lost or failed is retried once with the same key, as a careful client does.
      const failed = records.filter(
        (r) => r.idempotencyKey !== undefined && !r.retry && (r.status === null || r.status >= 500),
      );
      for (const r of failed) {
        const idx = Number(/-(\d+)$/.exec(r.idempotencyKey as string)?.[1]);
        await send(plan(r.kind, idx, opts.runId), true);
      }
      await agent.close();
      return records;
    },
  };
}

function ticketIdOf(text: string): number | null {
  try {
    const id = (JSON.parse(text) as { ticket?: { id?: unknown } }).ticket?.id;
    return typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string };
  return `${e.code ?? e.name ?? 'Error'}: ${e.message ?? String(err)}`;
}
