/** Ticket endpoints: show, create (201 + Location), update (PUT/PATCH), delete (204). Lists: ticket-lists.ts. */
import { readJson } from './body.js';
import {
  blank,
  type Ctx,
  type FieldErrors,
  invalidValue,
  isRecord,
  nonEmptyString,
  notFound,
  recordInvalid,
  sendJson,
} from './http-util.js';
import { jsonResponse, runWrite } from './idempotency.js';
import {
  BRAND_ID,
  ORDER_FIELD_ID,
  renderTicket,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  TICKET_TYPES,
  type TicketRecord,
} from './seed-tickets.js';

const DEFAULT_REQUESTER_ID = 1;

function ticketOf(ctx: Ctx): TicketRecord | undefined {
  const raw = ctx.params.id ?? '';
  return /^\d{1,12}$/.test(raw) ? ctx.state.tickets.get(Number(raw)) : undefined;
}

export function showTicket(ctx: Ctx): void {
  const ticket = ticketOf(ctx);
  if (ticket === undefined) notFound(ctx);
  else sendJson(ctx, 200, { ticket: renderTicket(ctx.origin, ticket) });
}

function oneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/** Zendesk lower-cases tags and splits them on whitespace. */
function normalizeTags(value: unknown): string[] | null {
  if (!Array.isArray(value) || !value.every((t) => typeof t === 'string')) return null;
  const tags = value.flatMap((t: string) => t.toLowerCase().split(/\s+/)).filter((t) => t !== '');
  return [...new Set(tags)];
}

function parameterMissing(ctx: Ctx): void {
  sendJson(ctx, 400, { error: 'ParameterMissing', description: 'param is missing or the value is empty: ticket' });
}

/** Validates the optional fields shared by create and update; adds to `errors`. */
function checkOptional(input: Record<string, unknown>, errors: FieldErrors): void {
  if (input.priority != null && !oneOf(TICKET_PRIORITIES, input.priority))
    errors.priority = [invalidValue('Priority', 'is not included in the list')];
  if (input.type != null && !oneOf(TICKET_TYPES, input.type))
    errors.type = [invalidValue('Type', 'is not included in the list')];
  if (input.tags !== undefined && normalizeTags(input.tags) === null)
    errors.tags = [invalidValue('Tags', 'must be an array of strings')];
}

export async function createTicket(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  if (body === null) return;
  const input = isRecord(body.value) ? body.value.ticket : undefined;
  if (!isRecord(input)) {
    parameterMissing(ctx);
    return;
  }
  const errors: FieldErrors = {};
  if (!nonEmptyString(input.subject)) errors.subject = [blank('Subject')];
  const commentBody = isRecord(input.comment) ? input.comment.body : undefined;
  if (!nonEmptyString(commentBody)) errors.description = [blank('Description')];
  checkOptional(input, errors);
  const requesterId = input.requester_id ?? DEFAULT_REQUESTER_ID;
  if (typeof requesterId !== 'number' || !ctx.state.users.has(requesterId))
    errors.requester_id = [invalidValue('Requester')];
  if (input.external_id != null && typeof input.external_id !== 'string')
    errors.external_id = [invalidValue('External id')];
  runWrite(ctx, body.raw, (key) => {
    if (Object.keys(errors).length > 0 || typeof requesterId !== 'number')
      return { applied: false, send: () => recordInvalid(ctx, errors) };
    const id = ctx.state.nextTicketId++;
    const now = ctx.state.tick();
    const subject = String(input.subject);
    const ticket: TicketRecord = {
      id,
      external_id: typeof input.external_id === 'string' ? input.external_id : null,
      type: oneOf(TICKET_TYPES, input.type) ? input.type : null,
      subject,
      raw_subject: subject,
      description: String(commentBody),
      priority: oneOf(TICKET_PRIORITIES, input.priority) ? input.priority : null,
      status: 'new',
      recipient: null,
      requester_id: requesterId,
      submitter_id: requesterId,
      assignee_id: null,
      organization_id: ctx.state.users.get(requesterId)?.organization_id ?? null,
      group_id: null,
      collaborator_ids: [],
      follower_ids: [],
      has_incidents: false,
      is_public: true,
      due_at: null,
      tags: normalizeTags(input.tags) ?? [],
      custom_fields: [{ id: ORDER_FIELD_ID, value: null }],
      satisfaction_rating: null,
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
      brand_id: BRAND_ID,
      allow_attachments: true,
      created_at: now,
      updated_at: now,
    };
    ctx.state.tickets.set(id, ticket);
    ctx.state.logWrite(`ticket.create:${id}`, ctx.method, ctx.path, key);
    const rendered = renderTicket(ctx.origin, ticket);
    return { applied: true, response: jsonResponse(201, { ticket: rendered }, { Location: rendered.url }) };
  });
}

export async function updateTicket(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx);
  if (body === null) return;
  const input = isRecord(body.value) ? body.value.ticket : undefined;
  runWrite(ctx, body.raw, (key) => {
    const ticket = ticketOf(ctx);
    if (ticket === undefined) return { applied: false, send: () => notFound(ctx) };
    if (!isRecord(input)) return { applied: false, send: () => parameterMissing(ctx) };
    const errors: FieldErrors = {};
    if (input.status !== undefined && !oneOf(TICKET_STATUSES, input.status))
      errors.status = [invalidValue('Status', 'is not included in the list')];
    if (input.subject !== undefined && !nonEmptyString(input.subject)) errors.subject = [blank('Subject')];
    checkOptional(input, errors);
    if (ticket.status === 'closed')
      errors.status = [{ description: 'Status: closed prevents ticket update', error: 'ClosedPreventsUpdate' }];
    if (Object.keys(errors).length > 0) return { applied: false, send: () => recordInvalid(ctx, errors) };
    if (oneOf(TICKET_STATUSES, input.status)) ticket.status = input.status;
    if (input.priority !== undefined)
      ticket.priority = oneOf(TICKET_PRIORITIES, input.priority) ? input.priority : null;
    if (input.type !== undefined) ticket.type = oneOf(TICKET_TYPES, input.type) ? input.type : null;
    if (nonEmptyString(input.subject)) ticket.subject = ticket.raw_subject = input.subject;
    const tags = normalizeTags(input.tags);
    if (tags !== null) ticket.tags = tags;
    ticket.updated_at = ctx.state.tick();
    ctx.state.logWrite(`ticket.update:${ticket.id}`, ctx.method, ctx.path, key);
    return { applied: true, response: jsonResponse(200, { ticket: renderTicket(ctx.origin, ticket) }) };
  });
}

/** A DELETE body is ignored (drained by the dispatcher); the fingerprint is method + path only. */
export function deleteTicket(ctx: Ctx): void {
  runWrite(ctx, Buffer.alloc(0), (key) => {
    const ticket = ticketOf(ctx);
    if (ticket === undefined) return { applied: false, send: () => notFound(ctx) };
    ctx.state.tickets.delete(ticket.id);
    ctx.state.logWrite(`ticket.delete:${ticket.id}`, ctx.method, ctx.path, key);
    return { applied: true, response: { status: 204, headers: {}, body: null } };
  });
}
