/**
 * `GET /api/v2/tickets`: offset pagination by default (`page`, `per_page`), cursor pagination when `page[size]` is
 * given (`page[after]`, `page[before]`). Cursors are opaque base64url strings; links are absolute on publicOrigin.
 */
import { type Ctx, intParam, sendJson } from './http-util.js';
import { renderTicket, type TicketRecord } from './seed-tickets.js';

const DEFAULT_PER_PAGE = 25;
const MAX_PER_PAGE = 100;

export function encodeCursor(id: number): string {
  return Buffer.from(`t:${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^t:\d{1,12}$/.test(text)) return null;
  return Number(text.slice(2));
}

function sortedTickets(ctx: Ctx): TicketRecord[] {
  return [...ctx.state.tickets.values()].sort((a, b) => a.id - b.id);
}

function listUrl(ctx: Ctx, params: [string, string][]): string {
  return `${ctx.origin}/api/v2/tickets.json?${new URLSearchParams(params).toString()}`;
}

function paginationError(ctx: Ctx, description: string): void {
  sendJson(ctx, 400, { error: 'InvalidPaginationParameter', description });
}

export function listTickets(ctx: Ctx): void {
  if (ctx.query.has('page[size]') || ctx.query.has('page[after]') || ctx.query.has('page[before]')) {
    cursorPage(ctx);
    return;
  }
  const all = sortedTickets(ctx);
  const page = Math.max(1, intParam(ctx.query.get('page'), 1));
  const perPage = Math.min(MAX_PER_PAGE, Math.max(1, intParam(ctx.query.get('per_page'), DEFAULT_PER_PAGE)));
  const start = (page - 1) * perPage;
  const pageUrl = (p: number): string =>
    listUrl(ctx, [
      ['page', String(p)],
      ['per_page', String(perPage)],
    ]);
  sendJson(ctx, 200, {
    tickets: all.slice(start, start + perPage).map((t) => renderTicket(ctx.origin, t)),
    next_page: start + perPage < all.length ? pageUrl(page + 1) : null,
    previous_page: page > 1 ? pageUrl(page - 1) : null,
    count: all.length,
  });
}

function cursorPage(ctx: Ctx): void {
  const sizeParam = ctx.query.get('page[size]');
  const size = sizeParam === null ? DEFAULT_PER_PAGE : intParam(sizeParam, 0);
  if (size < 1 || size > MAX_PER_PAGE) {
    paginationError(ctx, `page[size] must be an integer between 1 and ${MAX_PER_PAGE}`);
    return;
  }
  const after = ctx.query.get('page[after]');
  const before = ctx.query.get('page[before]');
  if (after !== null && before !== null) {
    paginationError(ctx, 'page[after] and page[before] cannot be used together');
    return;
  }
  const cursor = after ?? before;
  const pivot = cursor === null ? null : decodeCursor(cursor);
  if (cursor !== null && pivot === null) {
    paginationError(ctx, `${after !== null ? 'page[after]' : 'page[before]'} is not a valid cursor`);
    return;
  }
  const all = sortedTickets(ctx);
  let page: TicketRecord[];
  if (before !== null && pivot !== null) {
    const earlier = all.filter((t) => t.id < pivot);
    page = earlier.slice(Math.max(0, earlier.length - size));
  } else {
    page = all.filter((t) => pivot === null || t.id > pivot).slice(0, size);
  }
  const first = page[0];
  const last = page.at(-1);
  const hasAfter = last !== undefined && all.some((t) => t.id > last.id);
  const hasBefore = first !== undefined && all.some((t) => t.id < first.id);
  const link = (dir: 'after' | 'before', id: number): string =>
    listUrl(ctx, [
      ['page[size]', String(size)],
      [`page[${dir}]`, encodeCursor(id)],
    ]);
  const next = last !== undefined && hasAfter ? link('after', last.id) : null;
  const prev = first !== undefined && hasBefore ? link('before', first.id) : null;
  const linkHeader = [next === null ? null : `<${next}>; rel="next"`, prev === null ? null : `<${prev}>; rel="prev"`]
    .filter((v) => v !== null)
    .join(', ');
  sendJson(
    ctx,
    200,
    {
      tickets: page.map((t) => renderTicket(ctx.origin, t)),
      meta: {
        has_more: before !== null ? hasBefore : hasAfter,
        after_cursor: last === undefined ? null : encodeCursor(last.id),
        before_cursor: first === undefined ? null : encodeCursor(first.id),
      },
      links: { prev, next },
    },
    linkHeader === '' ? {} : { headers: { Link: linkHeader } },
  );
}
