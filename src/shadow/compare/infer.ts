import { z } from 'zod';
import type { ComparatorName, FieldRule, FieldRules } from '../types.js';
import { keyPath } from './diff.js';

/**
 * Default comparator rules read off a zod 4 contract schema, so a slice lists only what the schema cannot say
 * (free text, sets, tolerances). Per path (dotted, `[]` for array elements):
 * - `.meta({ comparator: 'money' })` (any ComparatorName) on a schema: that comparator — the explicit, preferred way;
 * - an object whose keys are exactly `amount` and `currency` → `money` (MoneyV1Schema, OrderMoneyV1Schema);
 * - `z.enum` → `enum`;
 * - an ISO date-time string (`z.iso.datetime`) → `timestamp` (calendar dates `z.iso.date` stay strict);
 * - a string that is an E.164 phone (`z.e164()`, or a string schema that accepts `+491712345678` and rejects the
 *   same number written nationally or with spaces, like contracts' `E164Phone`) → `phone`.
 * Everything else is walked (objects, arrays, nullable/optional/default/readonly, unions, intersections, pipes, lazy)
 * and left to `strict`.
 */

interface Def {
  type: string;
  [key: string]: unknown;
}
type Internal = z.ZodType & { _zod: { def: Def } };

const COMPARATOR_NAMES: ReadonlySet<string> = new Set<ComparatorName>([
  'strict',
  'timestamp',
  'phone',
  'money',
  'enum',
  'set',
  'text',
  'ignore',
]);
const WRAPPERS = new Set(['nullable', 'optional', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);
/** Recursive (lazy) schemas stop here; contract paths are far shallower. */
const MAX_SCHEMA_DEPTH = 32;

const cache = new WeakMap<z.ZodType, FieldRules>();

/** Rules inferred from `schema` (cached per schema object). */
export function inferRules(schema: z.ZodType): FieldRules {
  let rules = cache.get(schema);
  if (!rules) {
    const out = new Map<string, FieldRule | null>();
    walk(schema as Internal, '', out, 0);
    const obj: Record<string, FieldRule> = {};
    for (const [path, rule] of out) if (rule) obj[path] = rule;
    rules = Object.freeze(obj);
    cache.set(schema, rules);
  }
  return rules;
}

/** A slice's rules: inferred from its contract schema, then its explicit rules (which win, path by path). */
export function rulesFor(schema: z.ZodType, overrides: FieldRules = {}): FieldRules {
  return Object.freeze({ ...inferRules(schema), ...overrides });
}

/** Sets the rule at `path`; two different rules for one path (union branches) cancel out to strict. */
function put(out: Map<string, FieldRule | null>, path: string, rule: FieldRule): void {
  const prev = out.get(path);
  if (prev === undefined) out.set(path, rule);
  else if (prev !== null && prev.comparator !== rule.comparator) out.set(path, null);
}

function metaComparator(s: Internal): ComparatorName | null {
  const meta = z.globalRegistry.get(s) as { comparator?: unknown } | undefined;
  const c = meta?.comparator;
  return typeof c === 'string' && COMPARATOR_NAMES.has(c) ? (c as ComparatorName) : null;
}

function walk(s: Internal, path: string, out: Map<string, FieldRule | null>, depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH) return;
  const def = s._zod.def;
  const own = metaComparator(s) ?? nodeComparator(def, s);
  if (own && own !== 'strict') {
    put(out, path, { comparator: own });
    return;
  }
  for (const [next, at] of children(def, path)) walk(next, at, out, depth + 1);
}

/** The comparator a schema node itself implies (its children are not looked at). */
function nodeComparator(def: Def, s: Internal): ComparatorName | null {
  if (def.type === 'enum') return 'enum';
  if (def.type === 'string') return stringComparator(s);
  if (def.type === 'object' && isMoneyShape(def.shape as Record<string, Internal>)) return 'money';
  return null;
}

/** Child schemas with their paths: what a value of this schema may contain. */
function children(def: Def, path: string): Array<[Internal, string]> {
  if (WRAPPERS.has(def.type)) return [[def.innerType as Internal, path]];
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, Internal>).map(([k, v]) => [v, keyPath(path, k)]);
    case 'array':
      return [[def.element as Internal, `${path}[]`]];
    case 'tuple': {
      const items = (def.items as Internal[]).map((i): [Internal, string] => [i, `${path}[]`]);
      return def.rest ? [...items, [def.rest as Internal, `${path}[]`]] : items;
    }
    case 'union':
      return (def.options as Internal[]).map((o) => [o, path]);
    case 'intersection':
      return [
        [def.left as Internal, path],
        [def.right as Internal, path],
      ];
    case 'pipe': {
      // The compared value is the pipe's output; a transform's output has no schema, so its input stands in.
      const out = def.out as Internal;
      return [[out._zod.def.type === 'transform' ? (def.in as Internal) : out, path]];
    }
    case 'lazy':
      return [[(def.getter as () => Internal)(), path]];
    default:
      return [];
  }
}

function isMoneyShape(shape: Record<string, Internal>): boolean {
  const keys = Object.keys(shape);
  return keys.length === 2 && Object.hasOwn(shape, 'amount') && Object.hasOwn(shape, 'currency');
}

const PHONE_ACCEPT = ['+491712345678', '+12025550123'];
const PHONE_REJECT = ['01712345678', '+49 171 2345678', '491712345678'];

function stringComparator(s: Internal): ComparatorName | null {
  const def = s._zod.def;
  if (def.format === 'datetime') return 'timestamp';
  if (def.format === 'e164') return 'phone';
  // A plain string accepts national numbers too: only constrained strings can be phone schemas.
  if (!Array.isArray(def.checks) || def.checks.length === 0) return null;
  try {
    const accepts = (v: string) => s.safeParse(v).success;
    return PHONE_ACCEPT.every(accepts) && !PHONE_REJECT.some(accepts) ? 'phone' : null;
  } catch {
    return null;
  }
}
