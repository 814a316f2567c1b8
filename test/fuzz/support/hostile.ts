import fc from 'fast-check';
import { LONG_MODE } from './budget.js';
import { cloneJson, putOwn, slotsOf } from './json.js';

/**
 * Hostile input, restricted to what a mapper can really be given: values JSON.parse produces (any key, `__proto__`
 * included, as an own property; finite numbers, -0; strings with lone surrogates; nesting of any depth), or, for
 * orders, the trees the SOAP adapter's parser produces.
 */

/** Keys with a meaning to JavaScript or to the adapters' tree shapes. */
export const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'toJSON',
  '__defineGetter__',
] as const;

/** Strings legacy dialects (numbers, dates, codes, phones) or JavaScript read as something else. */
export const TRICKY_STRINGS = [
  '',
  ' ',
  '\t',
  '\u00a0',
  '\u3000',
  'NaN',
  'Infinity',
  '-Infinity',
  '+Infinity',
  '1e309',
  '-1e309',
  '1e-400',
  '1e3',
  '-0',
  '0',
  '00',
  '0x1F',
  '0b1',
  '0o7',
  '1_000',
  '1,50',
  ' 12 ',
  '12abc',
  '١٢',
  '９',
  '.',
  '-',
  '+',
  '.5',
  '5.',
  '+.5',
  '-.0',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1111111111111111111111.123',
  '1.005',
  '49.999',
  'null',
  'undefined',
  'true',
  'false',
  '[]',
  '{}',
  ...PROTO_KEYS,
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\uD800b',
  '\uDBFF\uDFFF',
  '\uFEFF',
  '\u202E',
  '😀',
  'e\u0301',
  '<',
  ']]>',
  '&amp;',
  '&#0;',
  '%00',
  '\r\n',
  '20240230 120000',
  '20241027 023000',
  '20240331 023000',
  '20240101',
  '20240101 240000',
  '99991231 235959',
  '00000000 000000',
  '2024-02-30T00:00:00Z',
  '2024-01-01T00:00:00Z',
  '2024-01-01T24:00:00+01:00',
  '2024-01-01T00:00:00.123456789-14:59',
  '2024-01-01T00:00:00+99:99',
  '+275760-09-13T00:00:00Z',
  '+49 171 2345678',
  '0171 2345678',
  '+999999999999999999',
  '(555) 010-1234',
  'A',
  'I',
  'S',
  'Y',
  'N',
  'y',
  ' a ',
  'SHIPPED',
  'shipped',
  'EUR',
  'eur',
  'de',
  'en-US',
  'und',
  'x-',
  'user',
  'business',
  'text',
  'reply',
  'refund',
  'address_change',
  'human_requested',
  'urgent',
  'open',
  'http://legacy.example/api/v2/tickets/1.json',
  'not a url',
  'a@b.c',
  'A@B.C',
] as const;

const HUGE_MAX = LONG_MODE ? 1 << 20 : 1 << 16;

/** A long run of one character, of 1000 to `max` characters. */
export const hugeStringUpTo = (max: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom('a', '9', ' ', '\uD800', '😀', '<', '&', '0', '\\', '"'), fc.integer({ min: 1000, max }))
    .map(([c, n]) => c.repeat(Math.ceil(n / c.length)));

/** A long run of one character (a field, or a key, of up to 64 KiB; 1 MiB in the long mode). */
export const hugeString = hugeStringUpTo(HUGE_MAX);

/** Hostile strings, the huge ones at most `hugeMax` characters long. */
export const hostileStringUpTo = (hugeMax: number): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...TRICKY_STRINGS) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 1, arbitrary: fc.double().map(String) },
    { weight: 1, arbitrary: fc.bigInt().map(String) },
    { weight: 1, arbitrary: hugeStringUpTo(hugeMax) },
  );

export const hostileString: fc.Arbitrary<string> = hostileStringUpTo(HUGE_MAX);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PROTO_KEYS) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '#text', '@_currency', '@_x', 'Item', 'ADDRESS', 'ticket', 'id') },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);

/** Numbers JSON can carry: finite doubles (-0 too), integers past 2^53. */
export const jsonNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-0, 0, 1, -1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308, 5e-324, 0.1, 1.005),
);

export const hostileLeaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: jsonNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) putOwn(out, k, v);
  return out;
}

/** Nests `inner` `depth` levels deep in alternating arrays and objects (JSON.parse accepts any depth). */
export function nest(inner: unknown, depth: number, key = 'a'): unknown {
  let v = inner;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : objectOf([[key, v]]);
  return v;
}

/** Mostly shallow; now and then past JSON.stringify's limit (a few thousand levels on Node 20). */
const deepDepth = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 2, max: 64 }) },
  { weight: 1, arbitrary: fc.integer({ min: 900, max: 20_000 }) },
);

/** Any JSON value, with hostile leaves and keys at every level, and now and then nesting thousands of levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: hostileLeaf },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 2, arbitrary: fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map(objectOf) },
    { weight: 1, arbitrary: fc.tuple(hostileLeaf, deepDepth, hostileKey).map(([v, d, k]) => nest(v, d, k)) },
  ),
})).value;

/** Deep hostile values are for the never-throws properties; round trips through JSON.stringify need shallow ones. */
export const OPS = [
  'delete',
  'replace',
  'retype',
  'numberAsString',
  'huge',
  'protoKey',
  'nest',
  'moveLast',
  'duplicate',
  'empty',
] as const;
export type Op = (typeof OPS)[number];

export interface Mutation {
  op: Op;
  /** Which slot (modulo the number of slots of the value as it is by then). */
  at: number;
  value: unknown;
  key: string;
  n: number;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom(...OPS),
  at: fc.nat(),
  value: hostileJson,
  key: hostileKey,
  n: fc.nat(),
});

function retype(v: unknown, n: number): unknown {
  if (typeof v === 'string') {
    const num = Number(v);
    return [Number.isFinite(num) ? num : v.length, v === '' ? null : [v], v.trim() !== '', { '#text': v }][n % 4];
  }
  if (typeof v === 'number') return [String(v), [v], v !== 0, { value: v }][n % 4];
  if (typeof v === 'boolean') return [String(v), Number(v), v ? 'Y' : 'N', [v]][n % 4];
  if (v === null) return ['', 0, false, {}][n % 4];
  if (Array.isArray(v))
    return [v[0] ?? null, objectOf(v.map((x, i) => [String(i), x])), JSON.stringify(v.length), {}][n % 4];
  const values = Object.values(v as object);
  return [values, values[0] ?? null, '[object Object]', []][n % 4];
}

function numberAsString(v: unknown, n: number): unknown {
  if (typeof v === 'number') return [`${v}`, ` ${v} `, `+${v}`, v.toExponential(), `0${v}`, v.toFixed(3)][n % 6];
  if (typeof v === 'string' && /^\d+$/.test(v)) return [Number(v), `0${v}`, `${v}.0`, `${v}e0`][n % 4];
  return v;
}

/** Applies one mutation to `root` (in place) and returns the new root. */
export function applyMutation(root: unknown, m: Mutation): unknown {
  const slots = slotsOf(root);
  // Generated values are fast-check's (it replays them while shrinking): only copies go into the payload.
  if (slots.length === 0) return m.op === 'retype' ? retype(root, m.n) : cloneJson(m.value);
  const [container, key] = slots[m.at % slots.length] as (typeof slots)[number];
  const rec = container as Record<string, unknown>;
  const current = rec[key as string];
  const set = (v: unknown) => putOwn(container, key, v);
  switch (m.op) {
    case 'delete':
      if (Array.isArray(container)) container.splice(key as number, 1);
      else delete rec[key as string];
      break;
    case 'replace':
      set(cloneJson(m.value));
      break;
    case 'retype':
      set(retype(current, m.n));
      break;
    case 'numberAsString':
      set(numberAsString(current, m.n));
      break;
    case 'huge':
      set(
        typeof current === 'string' ? current + 'x'.repeat(1000 + (m.n % 60_000)) : 'x'.repeat(1000 + (m.n % 60_000)),
      );
      break;
    case 'protoKey':
      if (!Array.isArray(container)) putOwn(container, m.key, cloneJson(m.value));
      else container.push(objectOf([[m.key, cloneJson(m.value)]]));
      break;
    case 'nest':
      set(nest(current, m.n % 8 === 0 ? 1 + (m.n % 12_000) : 1 + (m.n % 16), m.key));
      break;
    case 'moveLast':
      if (Array.isArray(container)) container.push(...container.splice(key as number, 1));
      else {
        delete rec[key as string];
        putOwn(container, key, current);
      }
      break;
    case 'duplicate':
      if (Array.isArray(container)) container.splice(key as number, 0, cloneJson(current));
      else putOwn(container, `${String(key)}${m.key === '' ? '_' : m.key}`, cloneJson(current));
      break;
    case 'empty':
      set(Array.isArray(current) ? [] : typeof current === 'object' && current !== null ? {} : '');
      break;
  }
  return root;
}

/** A recorded payload with 1–4 hostile mutations, anywhere in it. The base is never touched. */
export function mutated(base: fc.Arbitrary<unknown>, maxMutations = 4): fc.Arbitrary<unknown> {
  return fc
    .tuple(base, fc.array(mutation, { minLength: 1, maxLength: maxMutations }))
    .map(([b, ms]) => ms.reduce((v, m) => applyMutation(v, m), cloneJson(b)));
}
