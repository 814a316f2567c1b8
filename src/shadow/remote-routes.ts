import type { RouteSpec } from '../../routes/types.js';

/**
 * Route tables the comparison worker can load by itself, so that a shadow run's candidate (a new handler) runs
 * there, off the thread that serves clients. Functions do not cross threads: a route travels as the module and
 * export of its table plus its id, and the worker imports the same module (the default table: routes/table.ts; the
 * benchmark's variants: a factory export called with a plain-data argument).
 */

/** A module exporting a route table, or a function of `arg` (plain data) that returns one. */
export interface RouteTableRef {
  module: string;
  export: string;
  arg?: unknown;
}

export interface RouteRef {
  table: RouteTableRef;
  id: string;
}

const refs = new WeakMap<RouteSpec, RouteRef>();

/** Marks every route of `table` as loadable by the worker from `ref`; returns the table. */
export function nameRoutes<T extends readonly RouteSpec[]>(table: T, ref: RouteTableRef): T {
  for (const spec of table) refs.set(spec, { table: ref, id: spec.id });
  return table;
}

/** Where the worker finds this route; undefined for routes of a table built in memory (tests): those run here. */
export function routeRef(spec: RouteSpec): RouteRef | undefined {
  return refs.get(spec);
}

/** A stable key of a route reference (its table's module, export and argument, and the route's id). */
export function routeKey(ref: RouteRef): string {
  return JSON.stringify([ref.table.module, ref.table.export, ref.table.arg ?? null, ref.id]);
}

const tables = new Map<string, Promise<readonly RouteSpec[]>>();

/** The worker's side: loads the table (once per module, export and argument) and finds the route in it. */
export async function resolveRoute(ref: RouteRef): Promise<RouteSpec> {
  const key = JSON.stringify([ref.table.module, ref.table.export, ref.table.arg ?? null]);
  let table = tables.get(key);
  if (table === undefined) {
    table = loadTable(ref.table);
    tables.set(key, table);
  }
  const spec = (await table).find((r) => r.id === ref.id);
  if (spec === undefined) throw new Error(`route ${ref.id} is not in ${ref.table.module} (${ref.table.export})`);
  return spec;
}

async function loadTable(ref: RouteTableRef): Promise<readonly RouteSpec[]> {
  const mod = (await import(builtModule(ref.module))) as Record<string, unknown>;
  const v = mod[ref.export];
  const table = typeof v === 'function' ? await (v as (arg: unknown) => unknown)(ref.arg) : v;
  if (!Array.isArray(table)) throw new Error(`${ref.module} (${ref.export}) is not a route table`);
  return table as readonly RouteSpec[];
}

/**
 * The compiled copy of a TypeScript module of this project (tests run the sources, the worker runs dist/): a route
 * table named from `routes/table.ts` is loaded as `dist/routes/table.js`. Other modules load as they are.
 */
function builtModule(module: string): string {
  const here = import.meta.url;
  if (!here.endsWith('.js') || !module.endsWith('.ts')) return module;
  const dist = new URL('../../', here).href;
  const root = new URL('../', dist).href;
  if (!module.startsWith(root) || module.startsWith(dist)) return module;
  return new URL(module.slice(root.length).replace(/\.ts$/, '.js'), dist).href;
}
