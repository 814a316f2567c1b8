/**
 * Hostile JSON on the routes that parse it: customer messages (intent routing), the contract API and the admin API.
 * Deep nesting and malformed bodies get a clear 4xx (the gateway's own problem document, or legacy's answer where
 * legacy would have answered), never a stack overflow, a 500 from the gateway, or a polluted prototype.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJsonBody } from '../../src/pipeline/body.js';
import { ADMIN_TOKEN, type Stack, startStack } from '../helpers/stack.js';
import { exchange, expectServing, type RawResponse } from './wire.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack({ overrides: { contracts: { enabled: true } } });
  await s.serveLive('intent.order_status');
});
afterAll(async () => {
  await s?.close();
});

let n = 0;
const post = async (origin: string, path: string, body: Buffer | string, extra = ''): Promise<RawResponse> => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = `POST ${path} HTTP/1.1\r\nHost: gw.example\r\nContent-Type: application/json\r\n${extra}Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  const ex = await exchange(origin, [head, bytes]);
  expect(ex.responses, path).toHaveLength(1);
  return ex.responses[0] as RawResponse;
};
const DEEP = 100_000;
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const message = (text: string) =>
  `{"message":{"author":{"type":"user","id":"10001"},"content":{"type":"text","text":${text}}}}`;

describe('customer messages (intent routing): the gateway answers exactly what legacy would', () => {
  it.each([
    ['100 000 unclosed brackets', '['.repeat(DEEP)],
    ['100 000 nested arrays as the whole body', nested(DEEP)],
    ['100 000 nested arrays as the message text', message(nested(DEEP))],
    [
      '100 000 nested objects beside a valid message',
      `${message('"where is my order A-1001?"').slice(0, -1)},"x":${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}}`,
    ],
    ['not JSON', 'where is my order?'],
    ['an empty JSON object', '{}'],
  ])('%s', async (_name, body) => {
    n++;
    const path = `/api/v2/conversations/conv-json-${n}/messages`;
    const direct = await post(s.sim.url, path, body);
    s.sim.reset();
    const via = await post(s.gw.publicUrl, path, body);
    expect(via.status).toBe(direct.status);
    // Handed to legacy: legacy's own answer, verbatim. Served by the handler: a success, as legacy's was.
    if (via.headers.get('x-gateway-served-by')?.[0] === 'legacy') {
      expect(via.body.replaceAll(s.gw.publicUrl, s.sim.url)).toBe(direct.body);
    } else {
      expect(via.status).toBeLessThan(300);
    }
    await expectServing(s.gw.publicUrl);
  });
});

describe('contract API: the gateway’s own 400 problem documents', () => {
  const contract = (body: string) => post(s.gw.publicUrl, '/contracts/v1/conversations/conv-c/messages', body);
  const errorsOf = (r: RawResponse) =>
    (JSON.parse(r.body) as { code: string; errors?: { path: string }[] }).errors?.map((e) => e.path) ?? [];

  it('deep nesting (within the body cap) is a field error, not a crash', async () => {
    const r = await contract(`{"customerId":"10001","text":${nested(30_000)}}`);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toEqual(['application/problem+json']);
    expect(errorsOf(r)).toEqual(['body.text']);
  });

  it('unparsable JSON, a prototype key and unknown keys are 400s; no prototype is polluted', async () => {
    expect(errorsOf(await contract('{"customerId":'))).toEqual(['body']);
    const proto = await contract('{"customerId":"10001","text":"hi","__proto__":{"polluted":true}}');
    expect(proto.status).toBe(400);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    const extra = await contract('{"customerId":"10001","text":"hi","role":"system"}');
    expect(extra.status).toBe(400);
  });

  it('a body over the contract cap is a 413 problem', async () => {
    const r = await contract(`{"customerId":"10001","text":"${'x'.repeat(70_000)}"}`);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GW_PAYLOAD_TOO_LARGE' });
    await expectServing(s.gw.publicUrl);
  });
});

describe('admin API bodies', () => {
  const pin = (body: string) =>
    post(s.gw.adminUrl, '/admin/slices/tickets.get/pin', body, `Authorization: Bearer ${ADMIN_TOKEN}\r\n`);

  it('deep nesting, a prototype key and an oversized body are 4xx problems, and nothing is pinned', async () => {
    for (const [body, status] of [
      [nested(30_000), 400],
      ['{"note":"x","__proto__":{"polluted":true}}', 400],
      [`{"note":"${'n'.repeat(70_000)}"}`, 413],
    ] as const) {
      const r = await pin(body);
      expect(r.status, body.slice(0, 30)).toBe(status);
      expect(r.headers.get('content-type')?.[0]).toContain('application/problem+json');
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    expect(s.gw.deps.state.getPin('tickets.get')).toBeUndefined();
  });
});

describe('decodeJsonBody (for routes that parse a buffered body)', () => {
  it('refuses what legacy refuses: invalid and overlong UTF-8, which Buffer#toString would silently repair', () => {
    const text = (b: Buffer) => `{"text":"${b.toString('latin1')}"}`;
    for (const bad of [Buffer.from([0xff, 0xfe]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80])]) {
      const body = Buffer.from(text(bad), 'latin1');
      expect(JSON.parse(body.toString('utf8'))).toHaveProperty('text'); // the lenient path accepts it
      expect(decodeJsonBody(body)).toEqual({ ok: false, reason: 'invalid_utf8' });
    }
    expect(decodeJsonBody(Buffer.from('{"text":'))).toEqual({ ok: false, reason: 'invalid_json' });
    expect(decodeJsonBody(Buffer.from(nested(DEEP)))).toMatchObject({ ok: true });
    expect(decodeJsonBody(Buffer.from('{"text":"Grüße 😀"}'))).toEqual({ ok: true, value: { text: 'Grüße 😀' } });
  });
});
