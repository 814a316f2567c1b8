/** User endpoints: `GET /api/v2/users/{id}` and an offset-paginated `GET /api/v2/users`. */
import { type Ctx, intParam, notFound, sendJson } from './http-util.js';
import type { UserRecord } from './seed-people.js';

export function renderUser(origin: string, u: UserRecord): { url: string } & UserRecord {
  return { url: `${origin}/api/v2/users/${u.id}.json`, ...u };
}

export function showUser(ctx: Ctx): void {
  const raw = ctx.params.id ?? '';
  const user = /^\d{1,12}$/.test(raw) ? ctx.state.users.get(Number(raw)) : undefined;
  if (user === undefined) notFound(ctx);
  else sendJson(ctx, 200, { user: renderUser(ctx.origin, user) });
}

export function listUsers(ctx: Ctx): void {
  const all = [...ctx.state.users.values()].sort((a, b) => a.id - b.id);
  const page = Math.max(1, intParam(ctx.query.get('page'), 1));
  const perPage = Math.min(100, Math.max(1, intParam(ctx.query.get('per_page'), 25)));
  const start = (page - 1) * perPage;
  const pageUrl = (p: number): string => `${ctx.origin}/api/v2/users.json?page=${p}&per_page=${perPage}`;
  sendJson(ctx, 200, {
    users: all.slice(start, start + perPage).map((u) => renderUser(ctx.origin, u)),
    next_page: start + perPage < all.length ? pageUrl(page + 1) : null,
    previous_page: page > 1 ? pageUrl(page - 1) : null,
    count: all.length,
  });
}
