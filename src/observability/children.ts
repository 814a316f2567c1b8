/**
 * Cached metric children. prom-client's `labels(...)` validates the values, builds a label object and hashes it on
 * every call; on the request path that was ~1–2 % of the CPU (profile). Label sets here are small and fixed (route,
 * slice, served_by, outcome, reason), so each child is made once and found again through one Map per label: no key
 * string is built per call, and the label strings are constants whose hashes V8 keeps.
 */
type Level = Map<string, unknown>;

function step(level: Level, key: string): Level {
  let next = level.get(key) as Level | undefined;
  if (next === undefined) {
    next = new Map();
    level.set(key, next);
  }
  return next;
}

function leaf<C>(level: Level, key: string, make: () => C): C {
  let c = level.get(key) as C | undefined;
  if (c === undefined) {
    c = make();
    level.set(key, c);
  }
  return c;
}

export function childCache1<C>(make: (a: string) => C): (a: string) => C {
  const root: Level = new Map();
  return (a) => leaf(root, a, () => make(a));
}

export function childCache2<C>(make: (a: string, b: string) => C): (a: string, b: string) => C {
  const root: Level = new Map();
  return (a, b) => {
    const l = step(root, a);
    const c = l.get(b) as C | undefined;
    return c === undefined ? leaf(l, b, () => make(a, b)) : c;
  };
}

export function childCache3<C>(make: (a: string, b: string, c: string) => C): (a: string, b: string, c: string) => C {
  const root: Level = new Map();
  return (a, b, c) => {
    const l = step(step(root, a), b);
    const found = l.get(c) as C | undefined;
    return found === undefined ? leaf(l, c, () => make(a, b, c)) : found;
  };
}

export function childCache4<C>(
  make: (a: string, b: string, c: string, d: string) => C,
): (a: string, b: string, c: string, d: string) => C {
  const root: Level = new Map();
  return (a, b, c, d) => {
    const l = step(step(step(root, a), b), c);
    const found = l.get(d) as C | undefined;
    return found === undefined ? leaf(l, d, () => make(a, b, c, d)) : found;
  };
}
