/**
 * Iterative helpers over JSON-shaped values. Hostile inputs nest far deeper than recursion (and JSON.stringify, and
 * vitest's toEqual) can follow: V8's JSON.parse accepts a million levels, JSON.stringify gives up at a few thousand.
 */

type Frame = { src: unknown; put: (v: unknown) => void };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Own enumerable property, whatever the key (plain assignment of `__proto__` would set the prototype instead). */
export function putOwn(obj: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy of a JSON-shaped value, as JSON.parse would build it (own `__proto__` keys stay own keys). */
export function cloneJson<T>(value: T): T {
  let root: unknown;
  const stack: Frame[] = [{ src: value, put: (v) => (root = v) }];
  while (stack.length > 0) {
    const { src, put } = stack.pop() as Frame;
    if (Array.isArray(src)) {
      const out: unknown[] = new Array(src.length);
      put(out);
      src.forEach((x, i) => {
        stack.push({ src: x, put: (v) => (out[i] = v) });
      });
    } else if (isObject(src)) {
      const out: Record<string, unknown> = {};
      put(out);
      for (const k of Object.keys(src)) {
        putOwn(out, k, undefined);
        stack.push({ src: src[k], put: (v) => (out[k] = v) });
      }
    } else put(src);
  }
  return root as T;
}

class KeyMark {
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }
}

/**
 * A string that differs whenever two values differ in anything a mapper could change: key order, own keys, types,
 * prototypes, `-0`. Iterative, so it fingerprints inputs nested a million levels deep.
 */
export function fingerprint(value: unknown, opts: { sortKeys?: boolean; skipKeys?: readonly string[] } = {}): string {
  const out: string[] = [];
  const stack: unknown[] = [value];
  const END = Symbol('end');
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === END) out.push(')');
    else if (v instanceof KeyMark) out.push(JSON.stringify(v.key), ':');
    else if (Array.isArray(v)) {
      out.push(`A${v.length}(`);
      stack.push(END);
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (isObject(v)) {
      const proto = Object.getPrototypeOf(v);
      out.push(proto === Object.prototype ? 'O(' : proto === null ? 'N(' : `P${String(proto?.constructor?.name)}(`);
      stack.push(END);
      let keys: (string | symbol)[] = opts.sortKeys ? Object.keys(v).sort() : Reflect.ownKeys(v);
      if (opts.skipKeys) keys = keys.filter((k) => !opts.skipKeys?.includes(k as string));
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string | symbol;
        stack.push(v[k as string]);
        stack.push(new KeyMark(String(k)));
      }
    } else if (typeof v === 'number') out.push(Object.is(v, -0) ? '-0' : String(v), ',');
    else out.push(typeof v, ':', JSON.stringify(v) ?? String(v), ',');
  }
  return out.join('');
}

/** Nesting depth of arrays and objects (a scalar is 0). */
export function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (!isObject(v)) continue;
    max = Math.max(max, d + 1);
    for (const x of Object.values(v)) stack.push([x, d + 1]);
  }
  return max;
}

/** Every [container, key] of a value, breadth first, up to `limit` (the places a mutation can hit). */
export function slotsOf(value: unknown, limit = 2000): [Record<string, unknown> | unknown[], string | number][] {
  const out: [Record<string, unknown> | unknown[], string | number][] = [];
  const queue: unknown[] = [value];
  for (let i = 0; i < queue.length && out.length < limit; i++) {
    const v = queue[i];
    if (Array.isArray(v)) {
      v.forEach((x, j) => {
        out.push([v, j]);
        queue.push(x);
      });
    } else if (isObject(v)) {
      for (const k of Object.keys(v)) {
        out.push([v, k]);
        queue.push(v[k]);
      }
    }
  }
  return out;
}

const SHARED_PROTOTYPES = [Object.prototype, Array.prototype, String.prototype, Function.prototype, Number.prototype];

/** Every own key of the shared prototypes with its value or accessors: what a prototype pollution adds or replaces. */
export function prototypeSnapshot(): unknown[] {
  const out: unknown[] = [];
  for (const proto of SHARED_PROTOTYPES) {
    for (const key of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key);
      out.push(key, d?.value, d?.get, d?.set);
    }
    out.push(Object.getPrototypeOf(proto));
  }
  return out;
}

export function samePrototypes(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * JSON-like text of a value, cut at `max` characters, with its depth: what a failure report shows. Iterative (fast-check's
 * own printer recurses and overflows on the deepest inputs).
 */
export function preview(value: unknown, max = 2000): string {
  const out: string[] = [];
  let length = 0;
  const stack: unknown[] = [value];
  const CLOSE_ARRAY = Symbol(']');
  const CLOSE_OBJECT = Symbol('}');
  const emit = (s: string) => {
    out.push(s);
    length += s.length;
  };
  while (stack.length > 0 && length < max) {
    const v = stack.pop();
    if (v === CLOSE_ARRAY) emit('],');
    else if (v === CLOSE_OBJECT) emit('},');
    else if (v instanceof KeyMark) emit(`${JSON.stringify(v.key)}:`);
    else if (Array.isArray(v)) {
      emit('[');
      stack.push(CLOSE_ARRAY);
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (typeof v === 'object' && v !== null) {
      emit('{');
      stack.push(CLOSE_OBJECT);
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        stack.push((v as Record<string, unknown>)[k], new KeyMark(k));
      }
    } else {
      const s =
        typeof v === 'string' && v.length > 200
          ? `${JSON.stringify(v.slice(0, 200))}…(${v.length} chars)`
          : JSON.stringify(v);
      emit(`${Object.is(v, -0) ? '-0' : (s ?? String(v))},`);
    }
  }
  const text = out
    .join('')
    .replaceAll(/,([\]}])/g, '$1')
    .replace(/,$/, '');
  return `${text.length > max ? `${text.slice(0, max)}…` : text} (depth ${depthOf(value)})`;
}
