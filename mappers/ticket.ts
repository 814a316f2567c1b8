import { type TicketV1, TicketV1Schema } from '../contracts/v1/ticket.js';
import { checkNesting, putOwn } from './common.js';
import { type Carry, type Mapped, MappingError } from './mapping-error.js';

/**
 * Ticketing (Zendesk-style) ticket ↔ TicketV1. Pure. Legacy keys are snake_case; the contract is camelCase.
 * The table order is legacy's own key order: rendering back without a carry uses it.
 */
const FIELDS = [
  ['url', 'url'],
  ['id', 'id'],
  ['external_id', 'externalId'],
  ['type', 'type'],
  ['subject', 'subject'],
  ['raw_subject', 'rawSubject'],
  ['description', 'description'],
  ['priority', 'priority'],
  ['status', 'status'],
  ['recipient', 'recipient'],
  ['requester_id', 'requesterId'],
  ['submitter_id', 'submitterId'],
  ['assignee_id', 'assigneeId'],
  ['organization_id', 'organizationId'],
  ['group_id', 'groupId'],
  ['collaborator_ids', 'collaboratorIds'],
  ['follower_ids', 'followerIds'],
  ['has_incidents', 'hasIncidents'],
  ['is_public', 'isPublic'],
  ['due_at', 'dueAt'],
  ['tags', 'tags'],
  ['custom_fields', 'customFields'],
  ['satisfaction_rating', 'satisfactionRating'],
  ['via', 'via'],
  ['brand_id', 'brandId'],
  ['allow_attachments', 'allowAttachments'],
  ['created_at', 'createdAt'],
  ['updated_at', 'updatedAt'],
] as const satisfies ReadonlyArray<readonly [string, keyof TicketV1]>;

const TO_CONTRACT = new Map<string, keyof TicketV1>(FIELDS);
const TO_LEGACY = new Map<keyof TicketV1, string>(FIELDS.map(([l, c]) => [c, l]));
const CANONICAL_ORDER = FIELDS.map(([l]) => l);

/** Legacy `{ticket: {...}}` or a bare ticket object → TicketV1. Throws MappingError only. */
export function ticketFromLegacy(payload: unknown, path = 'ticket'): Mapped<TicketV1> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new MappingError(`${path} is not an object`);
  }
  checkNesting(payload, path);
  const src = payload as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  const gaps: string[] = [];
  const order = Object.keys(src);
  for (const key of order) {
    const target = TO_CONTRACT.get(key);
    if (target) out[target] = src[key];
    else {
      putOwn(extra, key, src[key]);
      gaps.push(`${path}.${key}`);
    }
  }
  const parsed = TicketV1Schema.safeParse(out);
  if (!parsed.success) {
    throw new MappingError(
      `${path} does not match TicketV1`,
      parsed.error.issues.map((i) => `${path}.${i.path.map(String).map(legacyKey).join('.')}: ${i.message}`),
    );
  }
  // No transforms in TicketV1: the validated input is the value. Keeping it (not parsed.data) keeps nested key order.
  return { value: out as TicketV1, carry: { order, extra, gaps } };
}

function legacyKey(k: string): string {
  return TO_LEGACY.get(k as keyof TicketV1) ?? k;
}

/** TicketV1 → legacy wire object, in legacy's key order, carried-through fields back in place. */
export function ticketToLegacy(t: TicketV1, carry?: Carry): Record<string, unknown> {
  const order = carry?.order ?? CANONICAL_ORDER;
  const out: Record<string, unknown> = {};
  const src = t as Record<string, unknown>;
  for (const key of order) {
    const c = TO_CONTRACT.get(key);
    if (c) {
      if (c in src) out[key] = src[c];
    } else if (carry && Object.hasOwn(carry.extra, key)) putOwn(out, key, carry.extra[key]);
  }
  // Contract fields missing from the legacy order (a new contract field) go last, in canonical order.
  for (const [l, c] of FIELDS) if (!(l in out) && c in src) out[l] = src[c];
  return out;
}

/** Wire body of `GET /api/v2/tickets/{id}` exactly as legacy renders it. */
export function renderTicketResponse(t: TicketV1, carry?: Carry): string {
  return JSON.stringify({ ticket: ticketToLegacy(t, carry) });
}
