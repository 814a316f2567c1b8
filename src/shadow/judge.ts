import { compareAnswers, decodeWire, normalisePath } from './compare/index.js';
import type { Comparison, DiffRecord, Effect, NoiseView, SliceComparison, WireAnswer } from './types.js';

/**
 * The synchronous work of one shadow run once both answers are in: decode them, derive legacy's effects (writes),
 * compare on the slice's contract, and build the diff record. Pure and free of I/O, so the same code runs on the
 * main thread (src/shadow/runner.ts) and in the comparison worker (src/shadow/compare-worker.ts).
 */

/** Legacy's answer as the passthrough captured it (`truncated`: above the shadow body cap). */
export interface LegacyCapture {
  status: number;
  headers: Record<string, string>;
  body: Buffer | 'truncated' | null;
}

/** How the candidate ended: its answer (body as it rendered it) and, for writes, the effects it would have made. */
export type RunOutcome =
  | {
      ok: true;
      status: number;
      headers: Record<string, string>;
      body: Buffer | string;
      effects?: Effect[];
      /** Legacy reads of the candidate answered with legacy's answer to the client (src/shadow/primed.ts). */
      primedReads?: number;
    }
  | { ok: false; timeout: boolean; error: string };

/** What a diff record says about the request, besides the comparison. */
export interface RunMeta {
  slice: string;
  route: string;
  requestId: string;
  method: string;
  /** Path with query (secrets redacted by the caller). */
  path: string;
  tenant: string | null;
  channel: string | null;
  /** `x-gateway-replay` run id when the request came from `gateway replay`. */
  replay: string | null;
}

/** The client's request as legacy received it (write slices derive legacy's effects from it). */
export interface RunRequest {
  method: string;
  path: string;
  body: Buffer | null;
}

export interface Judged {
  comparison: Comparison;
  legacy: WireAnswer;
  candidate: WireAnswer | null;
  effects?: Effect[];
  legacyEffects?: Effect[];
  primedReads?: number;
}

export function wireOf(c: LegacyCapture): WireAnswer {
  return decodeWire(c.status, c.headers, c.body === 'truncated' || c.body === null ? Buffer.alloc(0) : c.body);
}

/** Normalised field paths that differ between two legacy answers to the same read (one noise sample). */
export function noisePaths(
  slice: string,
  comparison: SliceComparison | null,
  first: LegacyCapture,
  again: LegacyCapture,
): string[] {
  const c = compareAnswers({
    slice,
    comparison,
    legacy: wireOf(first),
    candidate: { ok: true, answer: wireOf(again) },
  });
  const paths = new Set<string>();
  for (const f of c.fields) paths.add(normalisePath(f.path));
  for (const f of c.noise) paths.add(normalisePath(f.path));
  for (const g of c.gaps) paths.add(normalisePath(g));
  return [...paths];
}

/** Decodes both answers, derives legacy's effects for a write that legacy accepted, and compares. Never throws. */
export function judgeRun(input: {
  slice: string;
  comparison: SliceComparison | null;
  legacy: LegacyCapture | WireAnswer;
  request: RunRequest;
  outcome: RunOutcome;
  noise?: NoiseView;
}): Judged {
  const { slice, comparison, outcome } = input;
  const legacy = 'json' in input.legacy ? input.legacy : wireOf(input.legacy);
  if (!outcome.ok) {
    const failed = { ok: false as const, timeout: outcome.timeout, error: outcome.error };
    return { comparison: compareAnswers({ slice, comparison, legacy, candidate: failed }), legacy, candidate: null };
  }
  const body = typeof outcome.body === 'string' ? Buffer.from(outcome.body) : outcome.body;
  const candidate = decodeWire(outcome.status, outcome.headers, body);
  const { effects } = outcome;
  const derive = comparison?.legacyEffects;
  const legacyEffects =
    derive && legacy.status >= 200 && legacy.status < 300 ? safe(() => derive(input.request, legacy), []) : undefined;
  const result = compareAnswers({
    slice,
    comparison,
    legacy,
    candidate: { ok: true, answer: candidate, ...(effects ? { effects } : {}) },
    ...(legacyEffects ? { legacyEffects } : {}),
    ...(input.noise ? { noise: input.noise } : {}),
  });
  return {
    comparison: result,
    legacy,
    candidate,
    ...(effects ? { effects } : {}),
    ...(legacyEffects ? { legacyEffects } : {}),
    ...(outcome.primedReads ? { primedReads: outcome.primedReads } : {}),
  };
}

/**
 * The diff record of a judged run, not yet masked. Bodies are kept for anything but a clean match (or always with
 * `keepMatchBodies`); the store assigns the id.
 */
export function recordOf(
  meta: RunMeta,
  contract: string | null,
  j: Judged,
  opts: { keepMatchBodies: boolean; durationMs: number },
): DiffRecord {
  const c = j.comparison;
  const keepBodies = c.result !== 'match' || c.noise.length > 0 || opts.keepMatchBodies;
  return {
    ...c,
    id: '',
    at: new Date().toISOString(),
    slice: meta.slice,
    route: meta.route,
    requestId: meta.requestId,
    tenant: meta.tenant,
    channel: meta.channel,
    contract,
    method: meta.method,
    path: meta.path,
    legacy: {
      status: j.legacy.status,
      body: keepBodies ? (j.legacy.json ?? null) : null,
      ...(j.legacyEffects ? { effects: j.legacyEffects } : {}),
    },
    candidate: {
      status: j.candidate?.status ?? null,
      body: keepBodies ? (j.candidate?.json ?? null) : null,
      ...(j.effects ? { effects: j.effects } : {}),
      durationMs: opts.durationMs,
      ...(j.primedReads ? { primedReads: j.primedReads } : {}),
    },
    replay: meta.replay,
  };
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
