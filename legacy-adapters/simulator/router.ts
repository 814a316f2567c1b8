/**
 * A tiny route table: literal segments, `:param` segments and a trailing `*`. Routes flagged `json` also match
 * with a `.json` suffix on the last segment, as Zendesk's do. Compiled once when the simulator starts.
 */
import type { Ctx } from './http-util.js';

export type Handler = (ctx: Ctx) => void | Promise<void>;

/** How the dispatcher treats the request body before calling the handler. */
export type BodyMode = 'handler' | 'drain';

export interface RouteDef {
  /** Upper-case methods; `'*'` matches any method. */
  methods: readonly string[];
  pattern: string;
  handler: Handler;
  /** Accept `<path>.json` too (default false). */
  json?: boolean;
  /** 'drain' (default): the body is read (and counted) before the handler runs; 'handler': the handler reads it. */
  body?: BodyMode;
}

interface CompiledRoute {
  methods: ReadonlySet<string>;
  segments: readonly string[];
  wildcard: boolean;
  json: boolean;
  handler: Handler;
  body: BodyMode;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: Record<string, string>; body: BodyMode }
  | { kind: 'method'; allow: string[] }
  | { kind: 'none' };

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function matchSegments(route: CompiledRoute, parts: readonly string[]): Record<string, string> | null {
  if (route.wildcard ? parts.length < route.segments.length : parts.length !== route.segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < route.segments.length; i++) {
    const seg = route.segments[i] ?? '';
    const part = parts[i] ?? '';
    if (seg.startsWith(':')) {
      if (part === '') return null;
      try {
        params[seg.slice(1)] = decodeURIComponent(part);
      } catch {
        return null;
      }
    } else if (seg !== part) return null;
  }
  if (route.wildcard) params['*'] = parts.slice(route.segments.length).join('/');
  return params;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(defs: readonly RouteDef[]) {
    this.routes = defs.map((d) => {
      const segments = d.pattern.split('/').slice(1);
      const wildcard = segments.at(-1) === '*';
      return {
        methods: new Set(d.methods),
        segments: wildcard ? segments.slice(0, -1) : segments,
        wildcard,
        json: d.json ?? false,
        handler: d.handler,
        body: d.body ?? 'drain',
      };
    });
  }

  match(method: string, path: string): RouteMatch {
    const plain = path.split('/').slice(1);
    const stripped = path.endsWith('.json') ? path.slice(0, -'.json'.length).split('/').slice(1) : null;
    const allowed = new Set<string>();
    for (const route of this.routes) {
      // `/tickets/1.json` must reach `/tickets/:id` as `1`, so the stripped form wins where `.json` is accepted.
      const params =
        (route.json && stripped !== null ? matchSegments(route, stripped) : null) ?? matchSegments(route, plain);
      if (params === null) continue;
      const wanted = method === 'HEAD' && !route.methods.has('HEAD') ? 'GET' : method;
      if (route.methods.has('*') || route.methods.has(wanted))
        return { kind: 'found', handler: route.handler, params, body: route.body };
      for (const m of route.methods) allowed.add(m);
    }
    if (allowed.size === 0) return { kind: 'none' };
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    return { kind: 'method', allow: METHOD_ORDER.filter((m) => allowed.has(m)) };
  }
}
