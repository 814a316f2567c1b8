/**
 * Weaknesses the security suite found in the pipeline, the contract API and the admin port (docs/security.md,
 * "Fixed findings"): invalid UTF-8 in parsed bodies, admin bodies read before authentication, client forwarding
 * headers on the shadow's second legacy read, client-nominated hop-by-hop headers on a new handler's legacy calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Stack, startStack } from '../helpers/stack.js';
import { exchange, legacyLog, type RawResponse } from './wire.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack({ overrides: { contracts: { enabled: true } } });
  s.serve('intent.order_status', 100);
  s.serve('tickets.get', 100);
  await s.waitFor(
    () =>
      s.gw.deps.flags.slice('intent.order_status').stage === 'live' &&
      s.gw.deps.flags.slice('tickets.get').stage === 'live',
  );
});
afterAll(async () => {
  await s?.close();
});

const post = async (origin: string, path: string, body: Buffer, extra = ''): Promise<RawResponse> => {
  const head = `POST ${path} HTTP/1.1\r\nHost: gw.example\r\nContent-Type: application/json\r\n${extra}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const ex = await exchange(origin, [head, body]);
  expect(ex.responses, path).toHaveLength(1);
  return ex.responses[0] as RawResponse;
};

describe('invalid UTF-8 in parsed bodies (fix: decodeJsonBody from src/pipeline/body.ts)', () => {
  it.each([
    ['invalid bytes', [0xff, 0xfe]],
    ['an overlong encoding of /', [0xc0, 0xaf]],
    ['a lone surrogate', [0xed, 0xa0, 0x80]],
  ])('a customer message with %s gets legacy’s answer (400), not the handler’s (intents.ts)', async (_n, bytes) => {
    const body = Buffer.concat([
      Buffer.from(
        '{"message":{"author":{"type":"user","id":"10001"},"content":{"type":"text","text":"where is my order A-1001? ',
      ),
      Buffer.from(bytes),
      Buffer.from('"}}}'),
    ]);
    const path = `/api/v2/conversations/conv-utf8-${bytes.join('-')}/messages`;
    const direct = await post(s.sim.url, path, body);
    expect(direct.status).toBe(400);
    const via = await post(s.gw.publicUrl, path, body);
    expect(via.headers.get('x-gateway-served-by')).toEqual(['legacy']);
    expect(via.status).toBe(direct.status);
    expect(via.body).toBe(direct.body);
  });

  it('the contract API answers invalid UTF-8 with a 400 naming the body (contracts-api/server.ts)', async () => {
    const body = Buffer.concat([
      Buffer.from('{"customerId":"10001","text":"hi '),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const r = await post(s.gw.publicUrl, '/contracts/v1/conversations/conv-c/messages', body);
    expect(r.status).toBe(400);
    expect((JSON.parse(r.body) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['body']);
  });
});

describe('admin API: authentication before the body is read (fix: guards as onRequest hooks in admin/app.ts)', () => {
  it.each([
    ['unparsable JSON', '{bad'],
    ['a body over the admin body limit', `{"note":"${'n'.repeat(70_000)}"}`],
    ['a prototype key', '{"__proto__":{"x":1}}'],
  ])('without a token, %s gets 401, not a parser error', async (_n, body) => {
    const r = await post(s.gw.adminUrl, '/admin/slices/tickets.get/pin', Buffer.from(body));
    expect(r.status).toBe(401);
    const wrong = await post(
      s.gw.adminUrl,
      '/admin/slices/tickets.get/pin',
      Buffer.from(body),
      'Authorization: Bearer wrong-token-wrong-token\r\n',
    );
    expect(wrong.status).toBe(401);
    // With a valid token, the body is judged (the guard is not simply refusing everything).
    const admin = await post(
      s.gw.adminUrl,
      '/admin/slices/tickets.get/pin',
      Buffer.from(body),
      `Authorization: Bearer ${ADMIN_TOKEN}\r\n`,
    );
    expect([400, 413]).toContain(admin.status);
  });
});

describe('headers on the gateway’s own calls to legacy', () => {
  it('the shadow’s second legacy read carries the gateway’s forwarding headers, not the client’s (run.ts/compose.ts)', async () => {
    const q = await startStack();
    try {
      q.shadow('tickets.get', true);
      await q.waitFor(() => q.gw.deps.flags.slice('tickets.get').stage === 'shadow');
      const seen = legacyLog(q.sim);
      await exchange(
        q.gw.publicUrl,
        'GET /api/v2/tickets/3.json HTTP/1.1\r\nHost: gw.example\r\nX-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n' +
          'X-Real-IP: 6.6.6.6\r\nConnection: close\r\n\r\n',
      );
      await q.gw.deps.shadow.drain();
      const reads = seen().filter((r) => r.url === '/api/v2/tickets/3.json');
      expect(reads.length).toBeGreaterThanOrEqual(2); // the client's read, the candidate's, the second legacy read
      for (const r of reads) {
        expect(JSON.stringify(r.headers)).not.toContain('6.6.6.6');
      }
    } finally {
      await q.close();
    }
  });

  it('a header the client nominated as hop-by-hop does not reach legacy through a new handler either (run.ts)', async () => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(
      s.gw.publicUrl,
      'GET /api/v2/tickets/4.json HTTP/1.1\r\nHost: gw.example\r\nConnection: close, authorization, cookie\r\n' +
        'Authorization: Bearer hop\r\nCookie: sid=hop\r\n\r\n',
    );
    expect(ex.responses[0]?.headers.get('x-gateway-served-by')).toEqual(['new']);
    const calls = seen().filter((r) => r.url.startsWith('/api/v2/tickets/4'));
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) {
      expect(c.headers).not.toHaveProperty('authorization');
      expect(c.headers).not.toHaveProperty('cookie');
    }
  });
});
