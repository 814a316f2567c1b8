/**
 * The stand-in upstream: a keep-alive node:http server that answers every GET with the same ~1.2 KB Zendesk-style
 * ticket. The body names the upstream's own absolute URL (so the gateway's origin rewrite has real work to do) and
 * is serialised once per path, so the upstream costs as little as possible and the same for every target.
 */
import { createServer } from 'node:http';
import { announce, stopOnSignal } from './child-ipc.mjs';

function ticketBody(origin, path) {
  const id = Number(/\/(\d+)(?:\.json)?$/.exec(path)?.[1] ?? 1);
  const ticket = {
    url: `${origin}${path}`,
    id,
    external_id: `ext-${id}`,
    type: 'question',
    subject: 'Where is my order A-1001?',
    raw_subject: 'Where is my order A-1001?',
    description:
      'Hi, I ordered A-1001 ten days ago and it still has not arrived. Can you tell me the status? Thanks, Anna',
    priority: 'high',
    status: 'open',
    recipient: 'support@legacy-shop.example',
    requester_id: 1,
    submitter_id: 1,
    assignee_id: 27,
    organization_id: 360000102,
    group_id: 360000022,
    collaborator_ids: [35, 36],
    follower_ids: [27],
    email_cc_ids: [],
    forum_topic_id: null,
    problem_id: null,
    has_incidents: false,
    is_public: true,
    due_at: null,
    tags: ['order', 'shipping', 'vip'],
    custom_fields: [
      { id: 360001, value: 'A-1001' },
      { id: 360002, value: 'de' },
    ],
    fields: [
      { id: 360001, value: 'A-1001' },
      { id: 360002, value: 'de' },
    ],
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    via: { channel: 'email', source: { from: { address: 'anna@example.com', name: 'Anna' }, to: {}, rel: null } },
    brand_id: 360000001,
    allow_channelback: false,
    allow_attachments: true,
    ticket_form_id: 360000011,
    followup_ids: [],
    from_messaging_channel: false,
    generated_timestamp: 1704211200,
    created_at: '2024-01-02T08:00:00Z',
    updated_at: '2024-01-02T16:00:00Z',
  };
  return Buffer.from(JSON.stringify({ ticket }));
}

const bodies = new Map();
let origin = '';

const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 0 }, (req, res) => {
  req.resume(); // drain any request body
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, ['content-length', '0']);
    res.end();
    return;
  }
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  let body = bodies.get(path);
  if (!body) {
    body = ticketBody(origin, path);
    if (bodies.size < 1_000) bodies.set(path, body);
  }
  res.writeHead(200, [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    String(body.length),
    'cache-control',
    'max-age=0, private, must-revalidate',
    'etag',
    'W/"5f2b8d4e1c0a"',
    'x-rate-limit',
    '700',
    'x-rate-limit-remaining',
    '699',
    'x-zendesk-api-version',
    'v2',
    'x-request-id',
    '8f3c2a1b-0000-4000-8000-000000000001',
  ]);
  res.end(req.method === 'HEAD' ? undefined : body);
});

server.listen(0, '127.0.0.1', () => {
  origin = `http://127.0.0.1:${server.address().port}`;
  announce({ url: origin, bodyBytes: ticketBody(origin, '/api/v2/tickets/1.json').length });
});
stopOnSignal(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
