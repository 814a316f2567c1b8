/**
 * Seed tickets 1..120, every value derived from the id. Requesters cycle through users 1..30; a ticket about an
 * order references an order of its requester (custom field 360001). Quirks on purpose: null type/priority on some,
 * a very long subject (7), non-ASCII (13), dynamic-content raw_subject (21), control characters and markup in a
 * description (42), no tags at all (99).
 */
import { orderForRequester } from './seed-orders.js';
import { AGENT_IDS, seedUser, USER_COUNT } from './seed-people.js';
import { DAY_MS, HOUR_MS, isoSeconds } from './time.js';

export const TICKET_TYPES = ['problem', 'incident', 'question', 'task'] as const;
export const TICKET_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export const TICKET_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type ViaChannel = 'web' | 'email' | 'api' | 'chat';

/** A ticket without its `url` (rendered per origin). Keys are in Zendesk's order; keep them so. */
export interface TicketRecord {
  id: number;
  external_id: string | null;
  type: TicketType | null;
  subject: string;
  raw_subject: string;
  description: string;
  priority: TicketPriority | null;
  status: TicketStatus;
  recipient: string | null;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  group_id: number | null;
  collaborator_ids: number[];
  follower_ids: number[];
  has_incidents: boolean;
  is_public: boolean;
  due_at: string | null;
  tags: string[];
  custom_fields: { id: number; value: string | null }[];
  satisfaction_rating: { score: 'good' } | null;
  via: { channel: ViaChannel; source: { from: Record<string, string>; to: Record<string, string>; rel: null } };
  brand_id: number;
  allow_attachments: boolean;
  created_at: string;
  updated_at: string;
}

export const SEED_TICKET_COUNT = 120;
export const ORDER_FIELD_ID = 360_001;
export const BRAND_ID = 360_000_001;
export const SUPPORT_ADDRESS = 'support@legacy-shop.example';

interface Topic {
  type: TicketType;
  tags: string[];
  order: boolean;
  subject: (order: string) => string;
  body: (order: string, first: string) => string;
}

const TOPICS: readonly Topic[] = [
  {
    type: 'question',
    tags: ['order', 'shipping'],
    order: true,
    subject: (o) => `Where is my order ${o}?`,
    body: (o, f) =>
      `Hi, I ordered ${o} ten days ago and it still has not arrived. Can you tell me the status?\n\nThanks, ${f}`,
  },
  {
    type: 'problem',
    tags: ['account', 'password'],
    order: false,
    subject: () => 'Cannot log in to my account',
    body: (_, f) => `Hello, I forgot my password and the reset email never arrives. Please help.\n${f}`,
  },
  {
    type: 'task',
    tags: ['refund', 'billing'],
    order: true,
    subject: (o) => `Refund for order ${o}`,
    body: (o) => `I returned ${o} two weeks ago but have not received my refund yet.`,
  },
  {
    type: 'task',
    tags: ['address', 'order'],
    order: true,
    subject: (o) => `Change delivery address for ${o}`,
    body: (o) => `I moved last week, please send ${o} to my new address instead.`,
  },
  {
    type: 'question',
    tags: ['faq'],
    order: false,
    subject: () => 'What are your opening hours?',
    body: () => 'When can I reach your support team by phone?',
  },
  {
    type: 'incident',
    tags: ['damaged', 'order'],
    order: true,
    subject: (o) => `Item arrived damaged (${o})`,
    body: (o) => `The parcel for ${o} was crushed and the mug inside is broken.`,
  },
  {
    type: 'question',
    tags: ['billing', 'invoice'],
    order: true,
    subject: (o) => `Invoice copy for ${o}`,
    body: (o) => `Could you send me a copy of the invoice for ${o}? I need it for my tax return.`,
  },
  {
    type: 'task',
    tags: ['order', 'cancel'],
    order: true,
    subject: (o) => `Please cancel order ${o}`,
    body: (o) => `I ordered ${o} by mistake, please cancel it before it ships.`,
  },
  {
    type: 'incident',
    tags: ['billing', 'payment'],
    order: false,
    subject: () => 'Payment failed but money was taken',
    body: () => 'My card was charged twice but the shop says the payment failed.',
  },
  {
    type: 'task',
    tags: ['account', 'gdpr'],
    order: false,
    subject: () => 'Delete my account and data',
    body: () => 'Under GDPR I request deletion of my account and all personal data.',
  },
  {
    type: 'question',
    tags: ['product'],
    order: false,
    subject: () => 'Question about sizes',
    body: () => 'Do the hoodies run small? I usually wear M.',
  },
  {
    type: 'problem',
    tags: ['complaint'],
    order: false,
    subject: () => 'Very unhappy with the service',
    body: () => 'This is the third time I write. Nobody answers. I want to speak to a manager.',
  },
];

const STATUS_CYCLE: readonly TicketStatus[] = [
  'open',
  'pending',
  'solved',
  'new',
  'closed',
  'open',
  'hold',
  'solved',
  'open',
  'closed',
];
const PRIORITY_CYCLE: readonly TicketPriority[] = ['normal', 'high', 'low', 'urgent', 'normal', 'normal', 'high'];
const CHANNELS: readonly ViaChannel[] = ['web', 'email', 'api', 'chat'];
const CREATED_BASE = Date.UTC(2024, 0, 2, 8, 0, 0);

const LONG_SUBJECT =
  'Re: Fwd: Re: URGENT!!! Order not delivered, tracking shows "delivered" but nothing arrived, neighbours have ' +
  'nothing either, I called the carrier twice and they told me to contact the shop, the shop told me to contact the ' +
  'carrier, I have now been waiting for three weeks and I would really like to finally get either my parcel or my ' +
  'money back, please escalate this to someone who can actually help';

function pick<T>(list: readonly T[], index: number): T {
  const value = list[index % list.length];
  if (value === undefined) throw new RangeError('empty list');
  return value;
}

export function seedTicket(id: number): TicketRecord {
  const topic = pick(TOPICS, id - 1);
  const requesterId = ((id - 1) % USER_COUNT) + 1;
  const requester = seedUser(requesterId);
  const first = requester.name.split(' ')[0] ?? '';
  const order = topic.order ? orderForRequester(requesterId, Math.floor((id - 1) / USER_COUNT)) : null;
  const status = pick(STATUS_CYCLE, id - 1);
  const priority = id % 8 === 0 ? null : pick(PRIORITY_CYCLE, id);
  const type = id % 10 === 0 ? null : topic.type;
  const channel = pick(CHANNELS, id);
  const createdMs = CREATED_BASE + (id - 1) * 11 * HOUR_MS;
  const assignee = status === 'new' ? null : pick(AGENT_IDS.slice(0, 3), id);
  const tags = [...topic.tags];
  if (priority === 'urgent') tags.push('escalated');
  if (requester.tags.includes('vip')) tags.push('vip');
  let subject = topic.subject(order ?? '');
  let rawSubject = subject;
  let description = topic.body(order ?? '', first);
  if (id === 7) subject = rawSubject = LONG_SUBJECT;
  if (id === 13) {
    subject = rawSubject = 'Rückerstattung für Bestellung – 😀';
    description = `Hallo, ich warte seit drei Wochen auf meine Rückerstattung für ${order ?? ''}. Grüße, ${first}`;
    tags.splice(0, tags.length, 'refund', 'de');
  }
  if (id === 21) {
    subject = 'Question about my order';
    rawSubject = '{{dc.order_inquiry}}';
  }
  if (id === 42) description = 'Line 1\r\nLine 2 with "quotes" and <b>markup</b>\tand a tab\n\n-- \nSent from my phone';
  return {
    id,
    external_id: id % 4 === 0 ? `EXT-${String(id).padStart(5, '0')}` : null,
    type: id === 99 ? null : type,
    subject,
    raw_subject: rawSubject,
    description,
    priority: id === 99 ? null : priority,
    status,
    recipient: channel === 'email' ? SUPPORT_ADDRESS : null,
    requester_id: requesterId,
    submitter_id: channel === 'api' && assignee !== null ? assignee : requesterId,
    assignee_id: assignee,
    organization_id: requester.organization_id,
    group_id: status === 'new' ? null : 360_000_021 + (id % 3),
    collaborator_ids: [],
    follower_ids: [],
    has_incidents: type === 'problem' && id % 3 === 0,
    is_public: id % 17 !== 0,
    due_at: type === 'task' ? isoSeconds(createdMs + 3 * DAY_MS) : null,
    tags: id === 99 ? [] : tags,
    custom_fields: [{ id: ORDER_FIELD_ID, value: order }],
    satisfaction_rating: (status === 'solved' || status === 'closed') && id % 3 !== 0 ? { score: 'good' } : null,
    via: { channel, source: { from: {}, to: {}, rel: null } },
    brand_id: BRAND_ID,
    allow_attachments: true,
    created_at: isoSeconds(createdMs),
    updated_at: isoSeconds(status === 'new' ? createdMs : createdMs + (((id * 7) % 48) + 1) * HOUR_MS),
  };
}

export function seedTickets(): Map<number, TicketRecord> {
  const tickets = new Map<number, TicketRecord>();
  for (let id = 1; id <= SEED_TICKET_COUNT; id++) tickets.set(id, seedTicket(id));
  return tickets;
}

export function renderTicket(origin: string, t: TicketRecord): { url: string } & TicketRecord {
  return { url: `${origin}/api/v2/tickets/${t.id}.json`, ...t };
}
