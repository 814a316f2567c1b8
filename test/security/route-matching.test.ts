/**
 * Path tricks against route matching, with the `tickets.get` slice serving 100 %: a request may reach the new
 * handler only in a form legacy reads the same way. Every trick must be answered by legacy, which receives the path
 * exactly as sent; the decision header says who answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { exchange, expectServing, legacyLog, type RawResponse } from './wire.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
  await s.serveLive('tickets.get', 'intent.order_status');
});
afterAll(async () => {
  await s?.close();
});

const ask = async (origin: string, target: string): Promise<RawResponse> => {
  const ex = await exchange(origin, `GET ${target} HTTP/1.1\r\nHost: gw.example\r\nConnection: close\r\n\r\n`);
  expect(ex.responses, target).toHaveLength(1);
  return ex.responses[0] as RawResponse;
};
const servedBy = (r: RawResponse) => r.headers.get('x-gateway-served-by')?.[0];

describe('route matching', () => {
  it('canonical paths reach the new handler (the control: the tricks below would too if they matched)', async () => {
    for (const path of ['/api/v2/tickets/2.json', '/api/v2/tickets/2']) {
      const r = await ask(s.gw.publicUrl, path);
      expect(servedBy(r), path).toBe('new');
      expect(r.status).toBe(200);
    }
  });

  const tricks = [
    '/api/v2/tickets/1/../2.json',
    '/api/v2/tickets/./2.json',
    '/api/v2/x/../tickets/2.json',
    '/api/v2/tickets/%2e%2e/tickets/2.json',
    '/api/v2/tickets/1/%2E%2E/2.json',
    '/api/v2/tickets/1/%2e./2.json',
    '/api/v2/tickets/%32.json',
    '/api/v2/tickets%2F2.json',
    '/api/v2/tickets/1%2F..%2F2.json',
    '/api/v2/tickets/1/%252e%252e/2.json',
    '/api/v2/tickets/%c0%ae%c0%ae/2.json',
    '/api/v2/tickets/%e0%80%ae/2.json',
    '//api/v2/tickets/2.json',
    '/api/v2//tickets/2.json',
    '/api/v2/tickets/2.json/',
    '/api/v2/tickets/2.json;x=1',
    '/api/v2/tickets/2;.json',
    '/api/v2/tickets/2;jsessionid=1',
    '/api/v2/tickets\\2.json',
    '/api\\v2\\tickets\\2.json',
    '/api/v2/tickets/2.json#/../../3',
    '/api/v2/tickets/2#.json',
    '/API/v2/tickets/2.json',
    '/api/v2/tickets/2.JSON',
    '/api/v2/tickets/+2.json',
    '/api/v2/tickets/2.json.json',
    '/api/v2/tickets/0x2.json',
  ];
  it.each(tricks)('%s is answered by legacy, which receives it as sent', async (path) => {
    const seen = legacyLog(s.sim);
    const r = await ask(s.gw.publicUrl, path);
    expect(servedBy(r)).toBe('legacy');
    expect(seen().map((x) => x.url)).toEqual([path]);
  });

  it.each([
    ['http://gw.example/api/v2/tickets/1/../2.json', '/api/v2/tickets/1/../2.json'],
    ['http://gw.example/api/v2/tickets/%2e%2e/tickets/2.json', '/api/v2/tickets/%2e%2e/tickets/2.json'],
    ['http://gw.example/api/v2/tickets\\2.json', '/api/v2/tickets\\2.json'],
    ['HTTP://gw.example/api/v2//tickets/2.json', '/api/v2//tickets/2.json'],
  ])('absolute-form %s is matched as the path it carries, unnormalised', async (target, path) => {
    const seen = legacyLog(s.sim);
    const r = await ask(s.gw.publicUrl, target);
    expect(servedBy(r)).toBe('legacy');
    expect(seen().map((x) => x.url)).toEqual([path]);
  });

  it('a canonical path with a leading zero reaches the new handler, which answers what legacy answers', async () => {
    const path = '/api/v2/tickets/0002.json';
    const r = await ask(s.gw.publicUrl, path);
    const direct = await ask(s.sim.url, path);
    expect(servedBy(r)).toBe('new');
    expect(r.status).toBe(direct.status);
    expect(r.body).toBe(direct.body.replaceAll(s.sim.url, s.gw.publicUrl));
  });

  it('dot segments or encoding in a customer-message path stay with legacy (no intent routing)', async () => {
    const body = JSON.stringify({
      message: { author: { type: 'user', id: '10001' }, content: { type: 'text', text: 'where is my order A-1001?' } },
    });
    const say = (path: string) =>
      exchange(
        s.gw.publicUrl,
        `POST ${path} HTTP/1.1\r\nHost: gw.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    // The control: the canonical path is classified and answered by the order-status handler.
    const control = await say('/api/v2/conversations/conv-rm-1/messages');
    expect(control.responses[0]?.headers.get('x-gateway-served-by')).toEqual(['new']);
    for (const path of [
      '/api/v2/conversations/conv-a/../conv-rm-2/messages',
      '/api/v2/conversations/conv-rm-3%2Fx/messages',
    ]) {
      const seen = legacyLog(s.sim);
      const ex = await say(path);
      expect(ex.responses[0]?.headers.get('x-gateway-served-by'), path).toEqual(['legacy']);
      expect(seen().map((x) => x.url)).toEqual([path]);
    }
    await expectServing(s.gw.publicUrl);
  });
});
