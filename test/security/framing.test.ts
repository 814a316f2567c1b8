/**
 * Request framing and smuggling: every ambiguous message is refused with a problem document and a closed
 * connection before any byte reaches legacy; every accepted one reaches legacy as exactly one well-framed request.
 * After each case the gateway still serves a normal request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../legacy-adapters/simulator/types.js';
import { type Stack, startStack } from '../helpers/stack.js';
import { type Pair, startPair } from '../helpers/transparency.js';
import { type RawLegacy, startRawLegacy } from './raw-legacy.js';
import { echoOf, exchange, expectServing, legacyLog, problemOf } from './wire.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s?.close();
});

const post = (headers: string, body: string) =>
  `POST /api/v2/echo/smuggle HTTP/1.1\r\nHost: gw.example\r\n${headers}\r\n${body}`;
const SMUGGLED = 'GET /api/v2/echo/smuggled HTTP/1.1\r\nHost: gw.example\r\nX-Forwarded-For: 6.6.6.6\r\n\r\n';
/** The same, asking to close afterwards (so an accepted pair ends without waiting for the idle timeout). */
const SMUGGLED_CLOSE = SMUGGLED.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n');

describe('ambiguous framing is refused before legacy sees a byte', () => {
  const cases: [string, string | Buffer][] = [
    [
      'Content-Length with Transfer-Encoding',
      post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`),
    ],
    [
      'Transfer-Encoding with Content-Length',
      post('Transfer-Encoding: chunked\r\nContent-Length: 40\r\n', `0\r\n\r\n${SMUGGLED}`),
    ],
    ['two equal Content-Length headers', post('Content-Length: 3\r\nContent-Length: 3\r\n', 'abc')],
    ['two different Content-Length headers', post('Content-Length: 3\r\nContent-Length: 40\r\n', `abc${SMUGGLED}`)],
    ['a Content-Length list', post('Content-Length: 3, 3\r\n', 'abc')],
    ['a signed Content-Length', post('Content-Length: +3\r\n', 'abc')],
    ['Transfer-Encoding: chunked, identity', post('Transfer-Encoding: chunked, identity\r\n', '3\r\nabc\r\n0\r\n\r\n')],
    ['Transfer-Encoding: identity', post('Transfer-Encoding: identity\r\n', 'abc')],
    ['Transfer-Encoding: xchunked', post('Transfer-Encoding: xchunked\r\n', '3\r\nabc\r\n0\r\n\r\n')],
    ['a space before the colon', post('Transfer-Encoding : chunked\r\n', '3\r\nabc\r\n0\r\n\r\n')],
    ['a folded Transfer-Encoding', post('Transfer-Encoding:\r\n chunked\r\n', '3\r\nabc\r\n0\r\n\r\n')],
    [
      'two Transfer-Encoding headers',
      post('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n', '3\r\nabc\r\n0\r\n\r\n'),
    ],
    ['a transfer coding node does not decode', post('Transfer-Encoding: gzip, chunked\r\n', '3\r\nabc\r\n0\r\n\r\n')],
    ['a non-hex chunk size', post('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n')],
    ['a negative chunk size', post('Transfer-Encoding: chunked\r\n', '-3\r\nabc\r\n0\r\n\r\n')],
    ['an overflowing chunk size', post('Transfer-Encoding: chunked\r\n', 'ffffffffffffffffff\r\nabc\r\n0\r\n\r\n')],
    ['chunks framed by bare LF', post('Transfer-Encoding: chunked\r\n', '3\nabc\n0\n\n')],
    ['a bare LF header line', 'GET /api/v2/echo/x HTTP/1.1\nHost: gw.example\n\n'],
    ['a NUL in a header value', 'GET /api/v2/echo/x HTTP/1.1\r\nHost: gw.example\r\nX-A: a\0b\r\n\r\n'],
    ['a control character in the target', 'GET /api/v2/echo/\x01 HTTP/1.1\r\nHost: gw.example\r\n\r\n'],
    [
      'raw overlong UTF-8 in the target',
      Buffer.from('GET /api/v2/tickets/\xc0\xae HTTP/1.1\r\nHost: gw.example\r\n\r\n', 'latin1'),
    ],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['two Host headers', 'GET /api/v2/echo/x HTTP/1.1\r\nHost: gw.example\r\nHost: evil.example\r\n\r\n'],
    ['a Host with a path', 'GET /api/v2/echo/x HTTP/1.1\r\nHost: evil.example/x?\r\n\r\n'],
    ['no Host in HTTP/1.1', 'GET /api/v2/echo/x HTTP/1.1\r\n\r\n'],
  ];
  it.each(cases)('%s', async (_name, bytes) => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(s.gw.publicUrl, bytes);
    expect(ex.closed).toBe(true);
    expect(ex.responses).toHaveLength(1);
    expect(ex.responses[0]?.status).toBe(400);
    if (ex.responses[0]?.headers.has('content-type')) expect(problemOf(ex.responses[0]).code).toBe('GW_BAD_REQUEST');
    expect(seen()).toEqual([]);
    await expectServing(s.gw.publicUrl);
  });

  it('a chunk longer than announced: the request dies at legacy unfinished, the client gets 400, nothing follows', async () => {
    // The head is valid, so the body is already streaming to legacy when the bad chunk arrives: legacy's request is
    // aborted mid-body (never complete), and the bytes after it are never read as a request.
    const seen = legacyLog(s.sim);
    const ex = await exchange(s.gw.publicUrl, [
      post('Transfer-Encoding: chunked\r\n', '2\r\nabc\r\n0\r\n\r\n'),
      SMUGGLED,
    ]);
    expect(ex.closed).toBe(true);
    expect(ex.responses.map((r) => r.status)).toEqual([400]);
    expect(seen().filter((r) => r.url.endsWith('/smuggled'))).toEqual([]);
    expect(seen().every((r) => r.bodyBytes < 3)).toBe(true);
    await s.waitFor(() => s.gw.deps.legacyPool.stats.running === 0, 2_000);
    await expectServing(s.gw.publicUrl);
  });
});

describe('accepted framing reaches legacy as one request', () => {
  it.each([
    ['optional whitespace', 'Transfer-Encoding:  chunked\r\n'],
    ['a tab', 'Transfer-Encoding:\tchunked\r\n'],
    ['upper case', 'Transfer-Encoding: CHUNKED\r\n'],
  ])('Transfer-Encoding with %s is chunked, and legacy gets the 3 body bytes once', async (_name, te) => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(s.gw.publicUrl, post(te, `3\r\nabc\r\n0\r\n\r\n${SMUGGLED_CLOSE}`));
    expect(ex.responses.map((r) => r.status)).toEqual([200, 200]);
    const [first, second] = seen();
    expect(seen()).toHaveLength(2);
    expect(first).toMatchObject({ method: 'POST', url: '/api/v2/echo/smuggle', bodyBytes: 3 });
    // The second request is a request of its own, with the gateway's forwarding headers, not the client's.
    expect(second?.url).toBe('/api/v2/echo/smuggled');
    expect(second?.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('pipelined requests on one socket: answered in order, each reaching legacy once', async () => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(
      s.gw.publicUrl,
      'GET /api/v2/echo/one HTTP/1.1\r\nHost: gw.example\r\n\r\n' +
        'POST /api/v2/echo/two HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 5\r\n\r\nhello' +
        'GET /api/v2/echo/three HTTP/1.1\r\nHost: gw.example\r\nConnection: close\r\n\r\n',
    );
    expect(ex.closed).toBe(true);
    expect(ex.responses.map((r) => echoOf(r).url)).toEqual([
      '/api/v2/echo/one',
      '/api/v2/echo/two',
      '/api/v2/echo/three',
    ]);
    expect(seen().map((r) => `${r.method} ${r.url} ${r.bodyBytes}`)).toEqual([
      'GET /api/v2/echo/one 0',
      'POST /api/v2/echo/two 5',
      'GET /api/v2/echo/three 0',
    ]);
  });

  it('a smuggling attempt behind a good pipelined request: the good one is answered, then the connection closes', async () => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(
      s.gw.publicUrl,
      'GET /api/v2/echo/good HTTP/1.1\r\nHost: gw.example\r\n\r\n' +
        post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`),
    );
    expect(ex.closed).toBe(true);
    // No 400 after it: written while the first answer was still owed, it would be read as that answer.
    expect(ex.responses.map((r) => r.status)).toEqual([200]);
    expect(echoOf(ex.responses[0]).url).toBe('/api/v2/echo/good');
    expect(seen().map((r) => r.url)).toEqual(['/api/v2/echo/good']);
    await expectServing(s.gw.publicUrl);
  });
});

describe('request-target forms', () => {
  it('absolute-form: scheme and authority are dropped, the path reaches legacy as sent, Host stays legacy’s', async () => {
    for (const [target, path] of [
      ['https://evil.example/api/v2/echo/abs?x=1', '/api/v2/echo/abs?x=1'],
      ['http://user:pw@evil.example:8080/api/v2/echo/abs', '/api/v2/echo/abs'],
      ['HTTP://169.254.169.254/api/v2/echo/a/../b', '/api/v2/echo/a/../b'],
      ['http://evil.example', '/'],
    ] as const) {
      const seen = legacyLog(s.sim);
      const ex = await exchange(
        s.gw.publicUrl,
        `GET ${target} HTTP/1.1\r\nHost: gw.example\r\nConnection: close\r\n\r\n`,
      );
      expect(ex.responses).toHaveLength(1);
      expect(
        seen().map((r) => r.url),
        target,
      ).toEqual([path]);
      expect(seen()[0]?.headers.host).toBe(new URL(s.sim.url).host);
      expect(seen()[0]?.headers['x-forwarded-host']).toBe('gw.example');
    }
  });

  it('CONNECT is never a tunnel: the connection closes and legacy sees nothing', async () => {
    for (const target of ['evil.example:443', '127.0.0.1:22', new URL(s.sim.url).host]) {
      const seen = legacyLog(s.sim);
      const ex = await exchange(s.gw.publicUrl, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\nSSH-2.0-x\r\n`);
      expect(ex.closed).toBe(true);
      expect(ex.responses.every((r) => r.status !== 200)).toBe(true);
      expect(seen()).toEqual([]);
    }
    await expectServing(s.gw.publicUrl);
  });

  it('asterisk-form reaches legacy as legacy would get it; authority-form outside CONNECT is a 400', async () => {
    const direct = await exchange(s.sim.url, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const via = await exchange(s.gw.publicUrl, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(via.responses[0]?.status).toBe(direct.responses[0]?.status);
    const auth = await exchange(s.gw.publicUrl, 'GET evil.example:80 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(auth.responses[0]?.status).toBe(400);
    expect(problemOf(auth.responses[0]).code).toBe('GW_BAD_REQUEST');
    await expectServing(s.gw.publicUrl);
  });
});

describe('hop-by-hop headers and Connection tricks', () => {
  const gwSend = (headers: string, path = '/api/v2/echo/hop', body = '') =>
    exchange(
      s.gw.publicUrl,
      `${body ? 'POST' : 'GET'} ${path} HTTP/1.1\r\nHost: gw.example\r\n${headers}${body ? `Content-Length: ${body.length}\r\n` : ''}\r\n${body}`,
    );

  it('Connection: authorization strips the credentials (RFC 9110 §7.6.1) and nothing else', async () => {
    const ex = await gwSend('Connection: close, authorization\r\nAuthorization: Bearer t\r\nX-Kept: 1\r\n');
    const { headers } = echoOf(ex.responses[0]);
    expect(headers).not.toHaveProperty('authorization');
    expect(headers['x-kept']).toBe('1');
  });

  it('Connection naming forwarding headers or Host cannot remove what the gateway sets', async () => {
    const ex = await gwSend(
      'Connection: close, x-forwarded-for, x-forwarded-host, x-forwarded-proto, host, forwarded\r\n' +
        'X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\nForwarded: for=6.6.6.6\r\n',
    );
    const { headers } = echoOf(ex.responses[0]);
    expect(headers).toMatchObject({
      host: new URL(s.sim.url).host,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-host': 'gw.example',
      'x-forwarded-proto': 'http',
    });
    expect(headers).not.toHaveProperty('forwarded');
    expect(JSON.stringify(headers)).not.toContain('6.6.6.6');
  });

  it('Connection: content-length cannot unframe a body: legacy gets every byte once', async () => {
    const seen = legacyLog(s.sim);
    const ex = await gwSend(
      'Connection: close, content-length, content-type\r\nContent-Type: text/plain\r\n',
      '/api/v2/echo/cl',
      'hello',
    );
    expect(echoOf(ex.responses[0]).body_bytes).toBe(5);
    expect(seen()).toHaveLength(1);
  });

  it('Connection: close, te closes after the answer; TE, Proxy-*, Keep-Alive and httpoxy’s Proxy never reach legacy', async () => {
    const ex = await gwSend(
      'Connection: close, te\r\nTE: trailers, chunked\r\nKeep-Alive: timeout=99\r\nProxy: http://evil.example:3128\r\n' +
        'Proxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\nProxy-Authenticate: x\r\nTrailer: X-T\r\n',
    );
    expect(ex.closed).toBe(true);
    const { headers } = echoOf(ex.responses[0]);
    for (const gone of [
      'te',
      'keep-alive',
      'proxy',
      'proxy-authorization',
      'proxy-connection',
      'proxy-authenticate',
      'trailer',
    ]) {
      expect(headers, gone).not.toHaveProperty(gone);
    }
  });

  it('Upgrade without Connection: upgrade is a plain request, and Upgrade does not reach legacy', async () => {
    const ex = await gwSend('Upgrade: websocket\r\nConnection: close\r\n');
    expect(ex.responses[0]?.status).toBe(200);
    expect(echoOf(ex.responses[0]).headers).not.toHaveProperty('upgrade');
  });

  it('an h2c upgrade is served as the plain request it also is: no 101, no Upgrade at legacy', async () => {
    const seen = legacyLog(s.sim);
    const ex = await gwSend(
      'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n',
    );
    expect(ex.responses.map((r) => r.status)).toEqual([200]);
    expect(ex.closed).toBe(true);
    expect(seen()).toHaveLength(1);
    expect(seen()[0]?.headers).not.toHaveProperty('upgrade');
    expect(seen()[0]?.headers).not.toHaveProperty('http2-settings');
    expect(ex.responses[0]?.headers.get('x-gateway-served-by')).toEqual(['legacy']);
    await expectServing(s.gw.publicUrl);
  });

  it('an upgrade request with a body is refused (node no longer frames it once it hands the socket over)', async () => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(
      s.gw.publicUrl,
      `POST /api/v2/echo/up HTTP/1.1\r\nHost: gw.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`,
    );
    expect(ex.closed).toBe(true);
    expect(ex.responses.map((r) => r.status)).toEqual([400]);
    expect(problemOf(ex.responses[0]).code).toBe('GW_BAD_REQUEST');
    expect(seen()).toEqual([]);
    await expectServing(s.gw.publicUrl);
  });
});

describe('websocket handshakes against a legacy that keeps refused upgrades alive', () => {
  let legacy: RawLegacy;
  let p: Pair;
  beforeAll(async () => {
    legacy = await startRawLegacy();
    p = await startPair({}, { url: legacy.url } as Simulator);
  });
  afterAll(async () => {
    await p?.close();
    await legacy?.close();
  });
  const handshake = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: gw.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';

  it('a request appended to a refused handshake never reaches legacy', async () => {
    const before = legacy.heads.length;
    const ex = await exchange(p.gw.publicUrl, [handshake('/plain'), SMUGGLED]);
    expect(ex.responses.map((r) => r.status)).toEqual([200]);
    expect(ex.responses[0]?.body).toBe('seen /plain');
    expect(ex.closed).toBe(true);
    const heads = legacy.heads.slice(before);
    expect(heads).toHaveLength(1);
    expect(heads.join('\n')).not.toContain('6.6.6.6');
  });

  it('a legacy switching to another protocol than websocket gets no tunnel: 502 and nothing forwarded', async () => {
    const ex = await exchange(p.gw.publicUrl, [handshake('/switch'), 50, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']);
    expect(ex.closed).toBe(true);
    expect(ex.responses.map((r) => r.status)).toEqual([502]);
    expect(problemOf(ex.responses[0]).code).toBe('GW_UPSTREAM_BAD_RESPONSE');
    expect(legacy.tunnelled.join('')).not.toContain('PRI');
  });

  it('an h2c upgrade never reaches legacy as one, so legacy cannot switch the connection to HTTP/2', async () => {
    const before = legacy.heads.length;
    const ex = await exchange(p.gw.publicUrl, [
      'GET /switch HTTP/1.1\r\nHost: gw.example\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      50,
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ]);
    expect(ex.responses.map((r) => r.status)).toEqual([200]);
    expect(ex.responses[0]?.body).toBe('seen /switch');
    expect(legacy.heads.slice(before).join('\n').toLowerCase()).not.toContain('upgrade');
    expect(legacy.tunnelled).toEqual([]);
  });
});
