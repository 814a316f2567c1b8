import FindMyWay from 'find-my-way';
import type { RouteSpec } from '../../routes/types.js';

export interface RouteMatch<T> {
  route: T;
  params: Record<string, string>;
}

/**
 * Matches requests against the route table. Only canonical paths match: a path with percent-encoding, empty or
 * dot segments, a backslash or a `#` goes to legacy untouched, so encoded variants can never reach a new handler in a
 * form legacy would read differently.
 */
export function createRouter<T extends { spec: RouteSpec }>(routes: readonly T[]) {
  const fmw = FindMyWay({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, caseSensitive: true });
  for (const r of routes) {
    for (const path of r.spec.paths) fmw.on(r.spec.method, path, () => {}, r);
  }
  return {
    match(method: string, url: string): RouteMatch<T> | null {
      const path = canonicalPath(url);
      if (path === null) return null;
      const found = fmw.find(method as 'GET', path);
      if (!found) return null;
      return { route: found.store as T, params: found.params as Record<string, string> };
    },
  };
}

/** The path of a request target when it is canonical, else null (such requests stay with legacy). */
export function canonicalPath(url: string): string | null {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return isCanonical(path) ? path : null;
}

function isCanonical(path: string): boolean {
  if (path.charCodeAt(0) !== 47 /* / */) return false;
  // `#` never belongs in a request target (RFC 9112 §3.2); find-my-way would cut the path there, legacy may not.
  if (path.includes('%') || path.includes('//') || path.includes('\\') || path.includes('#')) return false;
  return !/\/\.\.?(\/|$)/.test(path);
}
