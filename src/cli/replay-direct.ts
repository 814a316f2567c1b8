import { randomBytes } from 'node:crypto';
import { type CandidateOutcome, compareAnswers, decodeWire } from '../shadow/compare/index.js';
import { createMasker } from '../shadow/mask.js';
import { createMemoryDiffStore } from '../shadow/store/memory.js';
import type { DiffRecord } from '../shadow/types.js';
import type { ReportSource } from './diffs.js';
import type { ReplayRequest } from './replay-input.js';
import { httpSender, type SendOutcome } from './replay-send.js';

/** Path segments that look like ids (`12`, `5f3a…`) become `:id`, so HAR requests group into route-like slices. */
export function routeKey(method: string, path: string): string {
  const pathname = path.split('?')[0] ?? path;
  const segs = pathname.split('/').map((seg) => seg.replace(/^(\d+|[0-9a-f]{8,}|[0-9a-f-]{36})(?=$|\.)/i, ':id'));
  return `${method} ${segs.join('/')}`;
}

/**
 * `--direct`: each request goes to legacy and to the candidate; the answers are compared here with the gateway's
 * comparison engine (no contract: JSON bodies field by field), masked like the gateway masks them (a random key: the
 * hashes compare within this run only), and kept in a local store the report reads like the admin API.
 */
export function directComparer(
  runId: string,
  origins: { legacy: string; candidate: string },
  timeoutMs: number,
  connections: number,
) {
  const legacy = httpSender(origins.legacy, timeoutMs, connections);
  const candidate = httpSender(origins.candidate, timeoutMs, connections);
  const store = createMemoryDiffStore({ cap: 1_000_000 });
  const masker = createMasker({ key: randomBytes(32) });
  const source: ReportSource = {
    name: `direct: ${origins.legacy} ⇄ ${origins.candidate}`,
    summary: async (f) => ({ ...(await store.summary(f)), backend: 'local' }),
    noise: async () => [],
    list: (q) => store.list(q),
  };
  return {
    source,
    async send(req: ReplayRequest, headers: Record<string, string>): Promise<SendOutcome> {
      const t0 = performance.now();
      const [l, c] = await Promise.all([
        legacy.send(req, headers, true),
        candidate.send(req, headers, true).then((o) => ({ o, ms: performance.now() - t0 })),
      ]);
      // Without legacy's answer there is nothing to compare with: a failed request of the run.
      if (l.status === undefined) return l;
      const legacyWire = decodeWire(l.status, l.headers ?? {}, l.body ?? Buffer.alloc(0));
      const outcome: CandidateOutcome =
        c.o.status !== undefined
          ? { ok: true, answer: decodeWire(c.o.status, c.o.headers ?? {}, c.o.body ?? Buffer.alloc(0)) }
          : { ok: false, timeout: c.o.error === 'timeout', error: `candidate request failed: ${c.o.error}` };
      const slice = req.slice ?? routeKey(req.method, req.path);
      const comparison = compareAnswers({ slice, comparison: null, legacy: legacyWire, candidate: outcome });
      const record: DiffRecord = {
        ...comparison,
        id: '',
        at: new Date().toISOString(),
        slice,
        route: slice,
        requestId: headers['x-request-id'] ?? '',
        tenant: null,
        channel: null,
        contract: null,
        method: req.method,
        path: req.path,
        legacy: { status: l.status, body: legacyWire.json ?? null },
        candidate: {
          status: outcome.ok ? outcome.answer.status : null,
          body: outcome.ok ? (outcome.answer.json ?? null) : null,
          durationMs: Math.round(c.ms * 10) / 10,
        },
        replay: runId,
      };
      await store.add(masker.maskRecord(record));
      return l;
    },
    close: async () => {
      await Promise.all([legacy.close(), candidate.close()]);
      await store.close();
    },
  };
}
