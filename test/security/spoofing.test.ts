/**
 * Host and forwarding-header spoofing. Legacy must only ever see forwarding headers the gateway set (or that a
 * configured trusted proxy set), and the public origin that legacy's absolute links are rewritten to must never come
 * from a header the client controls, unless that value is configured as allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { type Pair, startPair } from '../helpers/transparency.js';
import { echoOf, exchange, expectServing, legacyLog, type RawResponse } from './wire.js';

let s: Stack;
let allowed: Pair;
let trusting: Pair;
let fixed: Pair;
beforeAll(async () => {
  s = await startStack();
  [allowed, trusting, fixed] = await Promise.all([
    startPair({ allowedHosts: ['shop.example:8443'] }, s.sim),
    startPair({ trustedProxies: ['127.0.0.1'], allowedHosts: ['shop.example:8443'] }, s.sim),
    startPair({ publicUrl: 'https://gateway.example.com' }, s.sim),
  ]);
});
afterAll(async () => {
  await Promise.all([allowed?.close(), trusting?.close(), fixed?.close()]);
  await s?.close();
});

const request = async (origin: string, target: string, headers: string, body = ''): Promise<RawResponse> => {
  const method = body ? 'POST' : 'GET';
  const length = body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : '';
  const ex = await exchange(
    origin,
    `${method} ${target} HTTP/1.1\r\n${headers}${length}Connection: close\r\n\r\n${body}`,
  );
  expect(ex.responses, target).toHaveLength(1);
  return ex.responses[0] as RawResponse;
};
const ticketUrl = (r: RawResponse) => (JSON.parse(r.body) as { ticket: { url: string } }).ticket.url;

const SPOOFED =
  'X-Forwarded-For: 6.6.6.6\r\nx-FORWARDED-for: 7.7.7.7\r\nX-Real-IP: 6.6.6.6\r\nX-Forwarded-Proto: https\r\n' +
  'X-Forwarded-Host: evil.example\r\nX-Forwarded-Port: 443\r\nForwarded: for=6.6.6.6;host=evil.example;proto=https\r\n';

describe('from an untrusted peer', () => {
  it('legacy sees only the forwarding headers the gateway sets', async () => {
    const r = await request(s.gw.publicUrl, '/api/v2/echo/fwd', `Host: shop.example:8443\r\n${SPOOFED}`);
    const { headers } = echoOf(r);
    expect(headers).toMatchObject({
      host: new URL(s.sim.url).host,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.example:8443',
    });
    for (const gone of ['x-real-ip', 'x-forwarded-port', 'forwarded']) expect(headers, gone).not.toHaveProperty(gone);
    expect(JSON.stringify(headers)).not.toMatch(/6\.6\.6\.6|7\.7\.7\.7|evil\.example/);
  });

  it('a websocket handshake cannot nominate the forwarding headers away at the next hop', async () => {
    const seen = legacyLog(s.sim);
    await exchange(
      s.gw.publicUrl,
      'GET /api/v2/presence HTTP/1.1\r\nHost: gw.example\r\nConnection: Upgrade, X-Forwarded-For, X-Forwarded-Host\r\n' +
        `Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${SPOOFED}\r\n`,
    );
    const [handshake] = seen();
    expect(handshake?.headers).toMatchObject({
      connection: 'Upgrade',
      upgrade: 'websocket',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-host': 'gw.example',
    });
    expect(JSON.stringify(handshake?.headers)).not.toMatch(/6\.6\.6\.6|evil\.example/);
  });

  it('a spoofed Host, X-Forwarded-Host, Forwarded or absolute-form authority never steers rewritten links', async () => {
    const own = s.gw.publicUrl;
    for (const [target, headers] of [
      ['/api/v2/tickets/8.json', 'Host: evil.example\r\n'],
      ['/api/v2/tickets/8.json', `Host: ${new URL(own).host}\r\n${SPOOFED}`],
      ['http://evil.example/api/v2/tickets/8.json', `Host: ${new URL(own).host}\r\n`],
      ['/api/v2/tickets/8.json', 'Host: localhost.evil.example\r\n'],
    ] as const) {
      const r = await request(own, target, headers);
      expect(ticketUrl(r), `${target} ${headers}`).toBe(`${own}/api/v2/tickets/8.json`);
    }
    // A Location header and a Link header, too.
    const created = await request(
      own,
      '/api/v2/tickets.json',
      `Host: evil.example\r\n${SPOOFED}`,
      JSON.stringify({ ticket: { subject: 'spoof', comment: { body: 'x' } } }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')?.[0]).toMatch(new RegExp(`^${own}/api/v2/tickets/\\d+`));
    const page = await request(own, '/api/v2/tickets.json?page[size]=2', `Host: evil.example\r\n${SPOOFED}`);
    expect(page.headers.get('link')?.[0]).toContain(`<${own}/api/v2/tickets`);
    expect(page.body).not.toContain('evil.example');
  });

  it('an allowed Host is used for links; anything near it is not', async () => {
    const own = allowed.gw.publicUrl;
    const link = async (host: string) => ticketUrl(await request(own, '/api/v2/tickets/8.json', `Host: ${host}\r\n`));
    expect(await link('shop.example:8443')).toBe('http://shop.example:8443/api/v2/tickets/8.json');
    for (const near of ['shop.example', 'shop.example:8444', 'evil.example', 'shop.example.evil.example:8443']) {
      expect(await link(near), near).toBe(`${own}/api/v2/tickets/8.json`);
    }
    await expectServing(own);
  });

  it('with publicUrl configured, no header changes the links', async () => {
    const r = await request(fixed.gw.publicUrl, '/api/v2/tickets/8.json', `Host: shop.example:8443\r\n${SPOOFED}`);
    expect(ticketUrl(r)).toBe('https://gateway.example.com/api/v2/tickets/8.json');
  });
});

describe('from a configured trusted proxy', () => {
  it('its forwarding headers reach legacy, the peer is appended, and they still never steer links', async () => {
    const r = await request(trusting.gw.publicUrl, '/api/v2/echo/trusted', `Host: gw.example\r\n${SPOOFED}`);
    const { headers } = echoOf(r);
    expect(headers).toMatchObject({
      'x-forwarded-for': '6.6.6.6, 7.7.7.7, 127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      'x-real-ip': '6.6.6.6',
      forwarded: 'for=6.6.6.6;host=evil.example;proto=https',
    });
    const t = await request(trusting.gw.publicUrl, '/api/v2/tickets/8.json', `Host: gw.example\r\n${SPOOFED}`);
    expect(ticketUrl(t)).toBe(`${trusting.gw.publicUrl}/api/v2/tickets/8.json`);
  });
});
