/**
 * What the bench measures: one row per target, each with the server that answers it, the request wrk sends, the
 * flags its gateway runs with, the same-run baseline its ratios are taken against and the issue's target where the
 * issue sets one. Every gateway target is its own process with its own flags file.
 */
import { writeFileSync } from 'node:fs';
import { applyFlagChange, emptyDoc } from '../../dist/flags/edit.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../../dist/flags/names.js';

const TICKET = '/api/v2/tickets/1.json';
/** Canary traffic spreads over these ticket ids: the serve rollout is sticky on the resource id (DESIGN §4). */
export const CANARY_TICKETS = 100;
/** Delay in front of the tickets.get new handler of `gateway-shadow` (a slow candidate). */
export const SLOW_NEW_MS = 200;

/**
 * Conversation targets post each message to a conversation of its own (`{n}` = run nonce + counter): the automation
 * remembers a conversation's earlier texts, and the same text again reads as a customer going round in circles
 * (escalation to a person), which is not the turn being measured; legacy's side stores every conversation too.
 */
const conversation = (prefix) => `/api/v2/conversations/${prefix}-{n}/messages`;

/**
 * The AI slice: a customer message that the local tier classifies as order_status; the handler reads the order
 * (SOAP), the conversation (404 for a new one: empty history) and the customer's name (CRM) from the simulator, and
 * answers itself. Customer 10001 owns order A-1001 in the simulator's seed data.
 */
export const AI_INTENT = { slice: 'intent.order_status', customerId: '10001', text: 'Where is my order A-1001?' };
export const AI_MESSAGE = {
  message: { author: { type: 'user', id: AI_INTENT.customerId }, content: { type: 'text', text: AI_INTENT.text } },
};

const flags = (changes) => ({
  serve: [],
  shadow: [],
  ...changes,
});

export const TARGETS = [
  { name: 'direct', server: 'upstream', path: TICKET, description: 'the stand-in upstream itself, no proxy' },
  {
    name: 'bare',
    server: 'bare',
    path: TICKET,
    description: 'fastify 5 + @fastify/http-proxy 11, { upstream } only',
    baseline: 'direct',
  },
  {
    name: 'gateway',
    server: 'gateway',
    path: '/api/v2/users/1.json',
    description: 'gateway passthrough (path not in the route table)',
    baseline: 'bare',
    flags: flags({}),
    issue: { rps: 1.1, p99: 1.0, text: 'req/s ≥ 1.1× bare, p99 ≤ bare' },
  },
  {
    name: 'gateway-slice',
    server: 'gateway',
    path: TICKET,
    description: 'tickets.get slice, flags off → legacy',
    baseline: 'bare',
    flags: flags({}),
  },
  {
    name: 'gateway-shadow',
    server: 'gateway',
    path: TICKET,
    description: `tickets.get, shadow 100 %, new path slowed by ${SLOW_NEW_MS} ms, shadow defaults`,
    baseline: 'gateway-slice',
    flags: flags({ shadow: [['tickets.get', 100]] }),
    options: { slowNewMs: SLOW_NEW_MS },
    issue: { rps: 0.9, p99: 1.1, text: 'req/s and p99 within 10 % of gateway-slice' },
  },
  {
    name: 'gateway-shadow-5s',
    server: 'gateway',
    path: TICKET,
    description:
      'tickets.get, shadow 100 %, new path takes 5 s (shadow deadline 5 s: candidate_timeout), shadow defaults',
    baseline: 'gateway-slice',
    flags: flags({ shadow: [['tickets.get', 100]] }),
    // Every run ends as candidate_timeout, which the pin-back rule's mismatch threshold counts: with the rule on, the
    // slice was pinned part-way through a full run (seen 2026-11-27) and the rest of it measured no shadow work.
    options: { slowNewMs: 5_000, rollback: false },
    issue: { rps: 0.9, p99: 1.1, text: 'req/s and p99 within 10 % of gateway-slice' },
  },
  {
    name: 'gateway-shadow-failing',
    server: 'gateway',
    path: TICKET,
    description: 'tickets.get, shadow 100 %, new path throws at once (candidate_error), shadow defaults',
    baseline: 'gateway-slice',
    flags: flags({ shadow: [['tickets.get', 100]] }),
    options: { failNew: true, rollback: false },
    issue: { rps: 0.9, p99: 1.1, text: 'req/s and p99 within 10 % of gateway-slice' },
  },
  {
    name: 'gateway-canary',
    server: 'gateway',
    paths: Array.from({ length: CANARY_TICKETS }, (_, i) => `/api/v2/tickets/${i + 1}.json`),
    description: `tickets.get serve 50 % (new handler), tickets 1–${CANARY_TICKETS} in turn`,
    baseline: 'gateway-slice',
    flags: flags({ serve: [['tickets.get', 50]] }),
  },
  {
    name: 'gateway-ai',
    server: 'gateway',
    upstream: 'simulator',
    method: 'POST',
    pathTemplate: conversation('bench-ai'),
    body: AI_MESSAGE,
    description: `customer message → ${AI_INTENT.slice} serve 100 % (local model), simulator upstream`,
    baseline: 'gateway-ai-legacy',
    flags: flags({ serve: [[AI_INTENT.slice, 100]] }),
  },
  {
    name: 'gateway-ai-legacy',
    server: 'gateway',
    upstream: 'simulator',
    method: 'POST',
    pathTemplate: conversation('bench-ai-legacy'),
    body: AI_MESSAGE,
    description: 'the same message, intent slices off → the simulator’s bot (a legacy write)',
    flags: flags({}),
  },
];

/** Targets measured at a fixed rate too (latency at a moderate load rather than at saturation). */
export const RATE_TARGETS = [
  'direct',
  'bare',
  'gateway',
  'gateway-slice',
  'gateway-shadow',
  'gateway-shadow-5s',
  'gateway-shadow-failing',
];

/**
 * The flags file of a gateway target: tickets.get serve at 0 (flag present, off) unless set, shadow off unless set,
 * kill switch off, plus the target's own serve/shadow rollouts.
 */
export function writeFlagsFile(file, f) {
  let doc = applyFlagChange(emptyDoc(), serveFlag('tickets.get'), { rollout: 0 });
  doc = applyFlagChange(doc, shadowFlag('tickets.get'), { enabled: false });
  doc = applyFlagChange(doc, KILL_SWITCH, { enabled: false });
  for (const [slice, rollout] of f.serve) doc = applyFlagChange(doc, serveFlag(slice), { rollout });
  for (const [slice, rollout] of f.shadow) doc = applyFlagChange(doc, shadowFlag(slice), { rollout });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** First path of a target (pre-flight, fixed-rate runs). */
export const firstPath = (t, nonce = 'preflight') =>
  t.path ?? t.paths?.[0] ?? t.pathTemplate.replace('{n}', `${nonce}-0`);

/**
 * The wrk request part of a target's Lua script, or '' when wrk's static GET request will do. POST: method, body
 * and content-type set once (wrk keeps the -H headers); several paths: a request() that takes them in turn.
 */
export function wrkRequestLua(t, nonce) {
  const lines = [];
  if (t.method && t.method !== 'GET') lines.push(`wrk.method = "${t.method}"`);
  if (t.body !== undefined) {
    const body = JSON.stringify(t.body);
    if (body.includes(']==]')) throw new Error(`${t.name}: body cannot be written as a Lua long string`);
    lines.push(`wrk.body = [==[${body}]==]`, 'wrk.headers["Content-Type"] = "application/json"');
  }
  if (t.pathTemplate) {
    const [before, after] = t.pathTemplate.split('{n}');
    lines.push(
      'local n = 0',
      'request = function()',
      '  n = n + 1',
      `  return wrk.format(nil, ${JSON.stringify(`${before}${nonce}-`)} .. n .. ${JSON.stringify(after)})`,
      'end',
    );
  } else if (t.paths) {
    lines.push(
      `local paths = { ${t.paths.map((p) => JSON.stringify(p)).join(', ')} }`,
      'local i = 0',
      'request = function()',
      '  i = i % #paths + 1',
      '  return wrk.format(nil, paths[i])',
      'end',
    );
  }
  return lines.join('\n');
}
