import type { FieldDiff, FieldRule, FieldRules } from '../types.js';
import { COMPARATORS, deepEqual } from './comparators.js';

export interface DiffOptions {
  /** Prepended to every reported path (`$body`, `$effects[0].payload`); rules are looked up without it. */
  prefix?: string;
  /** Nesting compared at most (default 64); deeper differences become one truncation marker. */
  maxDepth?: number;
  /** Differences reported at most (default 200); then one truncation marker and the walk stops. */
  maxDiffs?: number;
}

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_DIFFS = 200;
/**
 * Path of the marker diff added when a walk was cut short (so a result of at most `maxDiffs + 1` entries). Its
 * `legacy` names the reason (`max_depth` | `max_diffs`), its `candidate` the first concrete path not compared.
 */
export const TRUNCATED_PATH = '$truncated';

/** `customFields[2].value` → `customFields[].value`: the form rules, noise and grouping use. Quoted keys stay. */
export function normalisePath(path: string): string {
  return path.replace(/\["(?:[^"\\]|\\.)*"\]|\[\d+\]/g, (m) => (m.startsWith('["') ? m : '[]'));
}

/** A key that reads as one path level: not empty, and none of `.`, `[`, `]`, `"`. */
const PLAIN_KEY = /^[^.[\]"]+$/;

/**
 * The path of `key` under `parent`: `parent.key`, or `parent["key"]` (JSON-quoted) for a key that would otherwise read
 * as more than one level or as an index (`"a.b"`, `"[0]"`, `""`), so that `{ "a.b": 1 }` and `{ a: { b: 1 } }` never
 * share a path, and neither do their learned noise, rules or accepted differences.
 */
export function keyPath(parent: string, key: string): string {
  if (PLAIN_KEY.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

const ruleMaps = new WeakMap<FieldRules, ReadonlyMap<string, FieldRule>>();

/** Rules as a Map (own keys only: a path named `constructor` must not find Object.prototype's). */
function ruleMap(rules: FieldRules): ReadonlyMap<string, FieldRule> {
  let m = ruleMaps.get(rules);
  if (!m) {
    m = new Map(Object.entries(rules));
    ruleMaps.set(rules, m);
  }
  return m;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Field-level differences between legacy's and the candidate's value. Where a path has a rule other than `strict`,
 * its comparator decides for that whole node (`set` on an array, `money` on an `{amount, currency}` object);
 * elsewhere objects are compared key by key (missing / extra) and arrays index by index. Paths are concrete
 * (`customFields[2].value`); rules are looked up by the normalised path. Bounded in depth and in output size.
 */
export function diffValues(
  legacy: unknown,
  candidate: unknown,
  rules: FieldRules,
  opts: DiffOptions = {},
): FieldDiff[] {
  const rulesByPath = ruleMap(rules);
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxDiffs = opts.maxDiffs ?? DEFAULT_MAX_DIFFS;
  const root = opts.prefix ?? '';
  const out: FieldDiff[] = [];
  let truncated = false;
  let full = false;

  const shown = (path: string) => (path === '' ? '$' : path);

  function mark(reason: 'max_depth' | 'max_diffs', path: string): void {
    if (!truncated)
      out.push({ path: TRUNCATED_PATH, kind: 'changed', comparator: 'strict', legacy: reason, candidate: shown(path) });
    truncated = true;
  }

  function emit(d: FieldDiff): void {
    if (out.length - (truncated ? 1 : 0) >= maxDiffs) {
      mark('max_diffs', d.path);
      full = true;
      return;
    }
    out.push(d);
  }

  function walk(a: unknown, b: unknown, path: string, norm: string, depth: number): void {
    if (full || a === b) return;
    const rule = rulesByPath.get(norm);
    if (rule !== undefined && rule.comparator !== 'strict') {
      if (rule.comparator === 'ignore') return;
      const r = COMPARATORS[rule.comparator](a, b, rule);
      if (!r.equal) {
        const d: FieldDiff = {
          path: shown(path),
          kind: 'changed',
          comparator: rule.comparator,
          legacy: a,
          candidate: b,
        };
        if (r.score !== undefined) d.score = r.score;
        emit(d);
      }
      return;
    }
    const arrays = Array.isArray(a) && Array.isArray(b);
    if ((arrays || (isObject(a) && isObject(b))) && depth >= maxDepth) {
      mark('max_depth', path);
      return;
    }
    if (arrays) {
      const n = Math.min(a.length, b.length);
      const childNorm = `${norm}[]`;
      for (let i = 0; i < n && !full; i++) walk(a[i], b[i], `${path}[${i}]`, childNorm, depth + 1);
      for (let i = n; i < a.length && !full; i++) one('missing', `${path}[${i}]`, childNorm, a[i]);
      for (let i = n; i < b.length && !full; i++) one('extra', `${path}[${i}]`, childNorm, b[i]);
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const k of Object.keys(a)) {
        if (full) return;
        if (Object.hasOwn(b, k)) walk(a[k], b[k], keyPath(path, k), keyPath(norm, k), depth + 1);
        else one('missing', keyPath(path, k), keyPath(norm, k), a[k]);
      }
      for (const k of Object.keys(b)) {
        if (full) return;
        if (!Object.hasOwn(a, k)) one('extra', keyPath(path, k), keyPath(norm, k), b[k]);
      }
      return;
    }
    // Primitives, or different kinds (object vs array vs primitive): one change at this node.
    if (!deepEqual(a, b)) emit({ path: shown(path), kind: 'changed', comparator: 'strict', legacy: a, candidate: b });
  }

  /** A value only one side has. */
  function one(kind: 'missing' | 'extra', path: string, norm: string, value: unknown): void {
    const comparator = rulesByPath.get(norm)?.comparator ?? 'strict';
    if (comparator === 'ignore') return;
    emit(
      kind === 'missing'
        ? { path: shown(path), kind, comparator, legacy: value }
        : { path: shown(path), kind, comparator, candidate: value },
    );
  }

  walk(legacy, candidate, root, '', 0);
  return out;
}
