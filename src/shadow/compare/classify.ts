import zlib from 'node:zlib';
import { MappingError } from '../../../mappers/mapping-error.js';
import type {
  Comparison,
  ContractSide,
  Effect,
  FieldDiff,
  FieldRules,
  NoiseView,
  SchemaIssue,
  SliceComparison,
  WireAnswer,
} from '../types.js';
import { deepEqual } from './comparators.js';
import { DEFAULT_MAX_DIFFS, diffValues, normalisePath } from './diff.js';

export type CandidateOutcome =
  | { ok: true; answer: WireAnswer; effects?: Effect[] }
  | { ok: false; timeout: boolean; error: string };

export interface CompareInput {
  slice: string;
  comparison: SliceComparison | null;
  legacy: WireAnswer;
  candidate: CandidateOutcome;
  /** What legacy wrote (write slices), derived by `comparison.legacyEffects`. */
  legacyEffects?: Effect[];
  noise?: NoiseView;
}

/** A decompressed body larger than this stays raw (a shadow comparison must not be a decompression bomb). */
const MAX_DECODED_BYTES = 32 * 1024 * 1024;
/** Raw (non-JSON) bodies shown in a `$body` diff are cut to this many characters. */
const RAW_PREVIEW_CHARS = 1024;
const NO_RULES: FieldRules = Object.freeze({});

const is2xx = (status: number) => status >= 200 && status < 300;

/**
 * One side's answer as the wire carried it: `content-encoding` (gzip, br, deflate, also stacked) undone, JSON parsed
 * when it parses. A body that fails to decompress stays raw, with no JSON.
 */
export function decodeWire(status: number, headers: Record<string, string>, body: Buffer): WireAnswer {
  let raw = body;
  let decoded = true;
  const encoding = headerOf(headers, 'content-encoding');
  if (encoding && raw.length > 0) {
    const opts = { maxOutputLength: MAX_DECODED_BYTES };
    try {
      // Encodings are listed in the order applied: undo them last first.
      for (const e of encoding
        .toLowerCase()
        .split(',')
        .map((s) => s.trim())
        .reverse()) {
        if (e === 'gzip' || e === 'x-gzip') raw = zlib.gunzipSync(raw, opts);
        else if (e === 'br') raw = zlib.brotliDecompressSync(raw, opts);
        else if (e === 'deflate') raw = zlib.inflateSync(raw, opts);
        else if (e !== 'identity' && e !== '') throw new Error(`unknown content-encoding ${e}`);
      }
    } catch {
      raw = body;
      decoded = false;
    }
  }
  return { status, headers, body: raw, json: decoded ? parseJson(raw) : undefined };
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  if (Object.hasOwn(headers, name)) return headers[name];
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

function parseJson(raw: Buffer): unknown | undefined {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Classifies one shadow run (DESIGN.md §6): candidate failure, status, schema errors when mapping onto the slice's
 * contract, field differences by typed comparators, effects of writes, noise set apart, and unmodelled wire fields
 * (`mapping_gap`). Pure and total: never throws, whatever the two answers contain.
 */
export function compareAnswers(input: CompareInput): Comparison {
  try {
    return classify(input);
  } catch (err) {
    // Only a broken SliceComparison (not the answers) can get here; it must not crash the shadow runner.
    const message = `comparison failed: ${err instanceof Error ? err.message : String(err)}`;
    return { ...empty('schema_error'), schemaIssues: [{ side: 'candidate', path: '', message }] };
  }
}

function classify(input: CompareInput): Comparison {
  const { candidate, legacy, comparison } = input;
  if (!candidate.ok) {
    return { ...empty(candidate.timeout ? 'candidate_timeout' : 'candidate_error'), error: candidate.error };
  }
  const answer = candidate.answer;
  if (legacy.status !== answer.status) {
    const status: FieldDiff = {
      path: '$status',
      kind: 'changed',
      comparator: 'strict',
      legacy: legacy.status,
      candidate: answer.status,
    };
    return finish(input, [status], []);
  }
  if (!is2xx(legacy.status) || comparison === null) return finish(input, bodyDiffs(legacy, answer), []);

  // Write slices: the candidate ran against dry-run adapters, so its body is synthesized (it cannot know the ids
  // legacy assigned). What it would have written is what counts.
  if (comparison.legacyEffects !== undefined) {
    const effects = effectDiffs(input.legacyEffects ?? [], candidate.effects ?? [], comparison.effectFields);
    return finish(input, effects, []);
  }

  const l = toContract(comparison, legacy, 'legacy');
  const c = toContract(comparison, answer, 'candidate');
  if (!l.ok || !c.ok) {
    return { ...empty('schema_error'), schemaIssues: [...(l.ok ? [] : l.issues), ...(c.ok ? [] : c.issues)] };
  }
  const diffs = diffValues(l.value, c.value, comparison.fields ?? NO_RULES);
  if (input.legacyEffects !== undefined || candidate.effects !== undefined) {
    diffs.push(...effectDiffs(input.legacyEffects ?? [], candidate.effects ?? [], comparison.effectFields));
  }
  return finish(input, diffs, unmodelledDiffs(l.unmodelled ?? {}, c.unmodelled ?? {}));
}

function empty(result: Comparison['result']): Comparison {
  return { result, fields: [], noise: [], schemaIssues: [], gaps: [] };
}

/** Splits differences into real ones and noise, then decides the class. */
function finish(input: CompareInput, diffs: FieldDiff[], gapDiffs: FieldDiff[]): Comparison {
  const fields: FieldDiff[] = [];
  const noise: FieldDiff[] = [];
  for (const d of diffs) {
    const why = noiseOf(input, d.path);
    if (why) noise.push({ ...d, noise: why });
    else fields.push(d);
  }
  const gaps: string[] = [];
  for (const d of gapDiffs) {
    const why = noiseOf(input, d.path);
    if (why) noise.push({ ...d, noise: why });
    else gaps.push(d.path);
  }
  const result = fields.length > 0 ? 'value_mismatch' : gaps.length > 0 ? 'mapping_gap' : 'match';
  return { result, fields, noise, schemaIssues: [], gaps };
}

function noiseOf(input: CompareInput, path: string): 'learned' | 'accepted' | null {
  if (!input.noise) return null;
  try {
    const why = input.noise.noiseOf(input.slice, normalisePath(path));
    // A flaky legacy status is not field noise: only QA can accept a status difference as expected.
    return path === '$status' && why === 'learned' ? null : why;
  } catch {
    return null;
  }
}

/** Maps one side onto the contract; a mapper that throws is that side's schema error. */
function toContract(comparison: SliceComparison, answer: WireAnswer, side: 'legacy' | 'candidate'): ContractSide {
  try {
    return comparison.toContract(answer, side);
  } catch (err) {
    return { ok: false, issues: issuesOf(err, side) };
  }
}

function issuesOf(err: unknown, side: 'legacy' | 'candidate'): SchemaIssue[] {
  if (err instanceof MappingError && err.issues.length > 0) {
    // MappingError issues read `path: message`.
    return err.issues.map((text) => {
      const at = text.indexOf(': ');
      return at > 0
        ? { side, path: text.slice(0, at), message: text.slice(at + 2) }
        : { side, path: '', message: text };
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return [{ side, path: '', message }];
}

/** Bodies without a contract: JSON generically (strict), else the bytes. */
function bodyDiffs(legacy: WireAnswer, candidate: WireAnswer): FieldDiff[] {
  if (legacy.json !== undefined && candidate.json !== undefined) {
    return diffValues(legacy.json, candidate.json, NO_RULES, { prefix: '$body' });
  }
  if (legacy.body.equals(candidate.body)) return [];
  return [
    { path: '$body', kind: 'changed', comparator: 'strict', legacy: preview(legacy), candidate: preview(candidate) },
  ];
}

function preview(a: WireAnswer): unknown {
  if (a.json !== undefined) return a.json;
  const text = a.body.toString('utf8', 0, Math.min(a.body.length, RAW_PREVIEW_CHARS * 4));
  return text.length > RAW_PREVIEW_CHARS ? `${text.slice(0, RAW_PREVIEW_CHARS)}…` : text;
}

/**
 * Effects paired by operation, and by target where both name one (a create's target is null on the candidate's
 * side: it cannot know legacy's new id). Unpaired effects are missing / extra; paired payloads are diffed.
 */
function effectDiffs(legacy: Effect[], candidate: Effect[], rules: FieldRules | undefined): FieldDiff[] {
  const out: FieldDiff[] = [];
  const pairs = pairEffects(legacy, candidate);
  const paired = new Set<number>();
  for (let i = 0; i < legacy.length && out.length < DEFAULT_MAX_DIFFS; i++) {
    const le = legacy[i] as Effect;
    const j = pairs.get(i);
    if (j === undefined) {
      out.push({ path: `$effects[${i}]`, kind: 'missing', comparator: 'strict', legacy: le });
      continue;
    }
    paired.add(j);
    const ce = candidate[j] as Effect;
    if (le.system !== ce.system) {
      out.push({
        path: `$effects[${i}].system`,
        kind: 'changed',
        comparator: 'strict',
        legacy: le.system,
        candidate: ce.system,
      });
    }
    out.push(...diffValues(le.payload, ce.payload, rules ?? NO_RULES, { prefix: `$effects[${i}].payload` }));
  }
  for (let j = 0; j < candidate.length && out.length < DEFAULT_MAX_DIFFS; j++) {
    if (!paired.has(j))
      out.push({ path: `$effects[${j}]`, kind: 'extra', comparator: 'strict', candidate: candidate[j] });
  }
  return out;
}

/** legacy index → candidate index. Same target first, then an open target, each in list order. */
function pairEffects(legacy: Effect[], candidate: Effect[]): Map<number, number> {
  const byOperation = new Map<string, number[]>();
  candidate.forEach((e, j) => {
    const list = byOperation.get(e?.operation);
    if (list) list.push(j);
    else byOperation.set(e?.operation, [j]);
  });
  const pairs = new Map<number, number>();
  const taken = new Set<number>();
  const targetOf = (e: Effect | undefined) => e?.target ?? null;
  for (const exact of [true, false]) {
    legacy.forEach((le, i) => {
      if (pairs.has(i)) return;
      const lt = targetOf(le);
      for (const j of byOperation.get(le?.operation) ?? []) {
        if (taken.has(j)) continue;
        const ct = targetOf(candidate[j]);
        if (exact ? lt !== null && lt === ct : lt === null || ct === null) {
          pairs.set(i, j);
          taken.add(j);
          return;
        }
      }
    });
  }
  return pairs;
}

/** Wire fields the contract does not model, by wire path, that differ between the sides. */
function unmodelledDiffs(
  legacy: Readonly<Record<string, unknown>>,
  candidate: Readonly<Record<string, unknown>>,
): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const k of Object.keys(legacy)) {
    if (out.length >= DEFAULT_MAX_DIFFS) return out;
    if (!Object.hasOwn(candidate, k)) out.push({ path: k, kind: 'missing', comparator: 'strict', legacy: legacy[k] });
    else if (!deepEqual(legacy[k], candidate[k])) {
      out.push({ path: k, kind: 'changed', comparator: 'strict', legacy: legacy[k], candidate: candidate[k] });
    }
  }
  for (const k of Object.keys(candidate)) {
    if (out.length >= DEFAULT_MAX_DIFFS) return out;
    if (!Object.hasOwn(legacy, k)) out.push({ path: k, kind: 'extra', comparator: 'strict', candidate: candidate[k] });
  }
  return out;
}
