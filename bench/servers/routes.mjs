/**
 * The benchmark's variants of the shipped route table, as a module the gateway's comparison worker can load too
 * (src/shadow/remote-routes.ts): shadow candidates then run in the worker exactly as they would with the shipped
 * table. `benchRoutes(options)` is called with plain data on both threads.
 *   slowNewMs: the tickets.get new handler waits this long first (ends early when the run is aborted)
 *   failNew:   the tickets.get new handler throws at once
 *   cannedNew: the tickets.get new handler answers each ticket id with what its first call answered (after slowNewMs)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ROUTE_TABLE } from '../../dist/routes/table.js';
import { nameRoutes, routeRef } from '../../dist/src/shadow/remote-routes.js';

/** A handler that answers each ticket id as its first call did. */
function canned(handler) {
  const kept = new Map();
  return async (req, ctx) => {
    const id = req.params.id;
    if (!kept.has(id)) kept.set(id, await handler(req, ctx));
    return kept.get(id);
  };
}

function variant(options, handler) {
  if (options.failNew) {
    return async () => {
      throw new Error('bench: the new path fails');
    };
  }
  const inner = options.cannedNew ? canned(handler) : handler;
  if (!options.slowNewMs) return inner;
  return async (req, ctx) => {
    await sleep(options.slowNewMs, undefined, { signal: ctx.signal });
    return inner(req, ctx);
  };
}

/** The shipped table with the tickets.get handler replaced as `options` say; the shipped table itself when none do. */
export function benchRoutes(options = {}) {
  const { slowNewMs = 0, failNew = false, cannedNew = false } = options;
  if (!slowNewMs && !failNew && !cannedNew) return ROUTE_TABLE;
  const arg = { slowNewMs, failNew, cannedNew };
  const table = ROUTE_TABLE.map((r) => (r.id === 'tickets.get' ? { ...r, handler: variant(arg, r.handler) } : r));
  return nameRoutes(table, { module: import.meta.url, export: 'benchRoutes', arg });
}

/**
 * The table with the tickets.get handler wrapped (a timeline's probe on the main thread); each route keeps where the
 * worker loads it from, so candidates the worker runs run there unwrapped.
 */
export function wrapTicketsGet(table, wrap) {
  return table.map((r) => {
    if (r.id !== 'tickets.get') return r;
    const spec = { ...r, handler: wrap(r.handler) };
    const ref = routeRef(r);
    if (ref) nameRoutes([spec], ref.table);
    return spec;
  });
}
