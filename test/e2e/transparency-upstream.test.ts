/**
 * Transparency, part 3: what legacy receives through the gateway (via `ANY /api/v2/echo/*`), and what clients get
 * when legacy is down, slow or resetting connections — and that the gateway recovers after each.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Pair, type Reply, send, sha256, startPair } from '../helpers/transparency.js';

let p: Pair;
beforeAll(async () => {
  p = await startPair();
});
afterAll(async () => {
  await p?.close();
});

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body_bytes: number;
  body_sha256: string;
}

/**
 * node:http rather than undici: undici refuses hop-by-hop request headers (`connection: x-foo`, `keep-alive`,
 * `upgrade`), which is exactly what these tests must send. Raw header list, no agent (one connection per request).
 */
function rawRequest(origin: string, method: string, path: string, headers: string[], body?: Buffer): Promise<Reply> {
  const u = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, headers, agent: false, setHost: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const map = new Map<string, string[]>();
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = (res.rawHeaders[i] as string).toLowerCase();
            map.set(name, [...(map.get(name) ?? []), res.rawHeaders[i + 1] as string]);
          }
          resolve({ status: res.statusCode ?? 0, headers: map, body: Buffer.concat(parts) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const problem = (r: Reply) => JSON.parse(r.body.toString('utf8')) as { code: string; status: number };

describe('what legacy receives', () => {
  const gwHost = () => new URL(p.gw.publicUrl).host;

  it('method, raw path and query, body bytes, custom headers and credentials, untouched', async () => {
    const body = randomBytes(3000);
    const path = '/api/v2/echo/a%2Fb/./c;v=1?q=%C3%A9&q=2&empty=&flag';
    const r = await rawRequest(
      p.gw.publicUrl,
      'PATCH',
      path,
      [
        'Host',
        gwHost(),
        'Content-Type',
        'application/octet-stream',
        'Content-Length',
        String(body.length),
        'Authorization',
        'Bearer secret-token',
        'Cookie',
        'sid=abc; theme=dark',
        'X-Custom',
        'Value With  Spaces',
        'X-Multi',
        'one',
        'X-Multi',
        'two',
        'Accept-Language',
        'de-CH',
      ],
      body,
    );
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.body.toString('utf8')) as Echo;
    expect(echo.method).toBe('PATCH');
    expect(echo.url).toBe(path);
    expect(echo.body_bytes).toBe(body.length);
    expect(echo.body_sha256).toBe(sha256(body));
    expect(echo.headers).toMatchObject({
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      authorization: 'Bearer secret-token',
      cookie: 'sid=abc; theme=dark',
      'x-custom': 'Value With  Spaces',
      'x-multi': ['one', 'two'],
      'accept-language': 'de-CH',
      host: new URL(p.sim.url).host,
    });
  });

  it('hop-by-hop headers (and those named in Connection) are removed', async () => {
    const r = await rawRequest(p.gw.publicUrl, 'GET', '/api/v2/echo/hop', [
      'Host',
      gwHost(),
      'Connection',
      'keep-alive, X-Foo',
      'X-Foo',
      '1',
      'Keep-Alive',
      'timeout=5',
      'TE',
      'trailers',
      'Upgrade',
      'h2c',
      'Proxy-Connection',
      'keep-alive',
      'Proxy-Authorization',
      'Basic Zm9vOmJhcg==',
      'X-Kept',
      'yes',
    ]);
    expect(r.status).toBe(200);
    const { headers } = JSON.parse(r.body.toString('utf8')) as Echo;
    expect(headers['x-kept']).toBe('yes');
    for (const gone of ['x-foo', 'keep-alive', 'te', 'upgrade', 'proxy-connection', 'proxy-authorization']) {
      expect(headers, gone).not.toHaveProperty(gone);
    }
    // The gateway's own connection to legacy may say keep-alive; the client's tokens never get there.
    expect(String(headers.connection ?? '').toLowerCase()).not.toContain('x-foo');
  });

  it('X-Forwarded-* are set by the gateway: client values replaced, Host the client used, legacy authority as Host', async () => {
    const r = await rawRequest(p.gw.publicUrl, 'GET', '/api/v2/echo/fwd', [
      'Host',
      'shop.example:8443',
      'X-Forwarded-For',
      '6.6.6.6',
      'X-Forwarded-Proto',
      'https',
      'X-Forwarded-Host',
      'evil.example',
      'Forwarded',
      'for=6.6.6.6',
    ]);
    expect(r.status).toBe(200);
    const { headers } = JSON.parse(r.body.toString('utf8')) as Echo;
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('shop.example:8443');
    expect(headers.host).toBe(new URL(p.sim.url).host);
    expect(JSON.stringify(headers)).not.toContain('6.6.6.6');
  });

  it('odd request-targets and latin1 header bytes arrive exactly as they would directly', async () => {
    const proxyOwned = new Set(['host', 'connection', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
    const received = async (origin: string, path: string): Promise<Echo> => {
      const r = await rawRequest(origin, 'GET', path, [
        'Host',
        new URL(origin).host,
        'X-Latin',
        'caf\xe9',
        'Accept',
        '*/*',
      ]);
      expect(r.status).toBe(200);
      const echo = JSON.parse(r.body.toString('utf8')) as Echo;
      echo.headers = Object.fromEntries(Object.entries(echo.headers).filter(([k]) => !proxyOwned.has(k)));
      return echo;
    };
    for (const path of [
      '/api/v2/echo/{x}|^`',
      '/api/v2/echo/a?b=c#frag',
      '/api/v2/echo/x?',
      '/api/v2/echo/%ZZ/%2e%2e/y',
    ]) {
      expect(await received(p.gw.publicUrl, path), path).toEqual(await received(p.sim.url, path));
    }
  });

  it('a spoofed Host never steers rewritten links: they point at the gateway listen origin', async () => {
    const r = await rawRequest(p.gw.publicUrl, 'GET', '/api/v2/tickets/8.json', ['Host', 'evil.example']);
    expect(r.status).toBe(200);
    const { ticket } = JSON.parse(r.body.toString('utf8')) as { ticket: { url: string } };
    expect(ticket.url).toBe(`${p.gw.publicUrl}/api/v2/tickets/8.json`);
  });

  it('hop-by-hop response headers from legacy do not reach the client; the rest does', async () => {
    // The presence endpoint answers a plain GET with 426 and `Upgrade`/`Connection: Upgrade` of its own.
    const direct = await send(p.sim.url, { path: '/api/v2/presence' });
    expect(direct.status).toBe(426);
    expect(direct.headers.get('upgrade')).toEqual(['websocket']);
    const via = await send(p.gw.publicUrl, { path: '/api/v2/presence' });
    expect(via.status).toBe(426);
    expect(via.headers.has('upgrade')).toBe(false);
    expect(via.body.equals(direct.body)).toBe(true);
  });
});

describe('legacy failures', () => {
  async function expectRecovered(pair: Pair): Promise<void> {
    const ok = await send(pair.gw.publicUrl, { path: '/api/v2/tickets/2.json' });
    expect(ok.status).toBe(200);
  }

  it('legacy down → 502 problem+json GW_UPSTREAM_UNAVAILABLE, then normal service once it is back', async () => {
    await expectRecovered(p); // leaves a kept-alive connection in the gateway's pool
    p.sim.setFaults({ mode: 'down' });
    try {
      // A passthrough read, a passthrough write, and the migrated route (its flag off: served by legacy).
      for (const [method, path] of [
        ['GET', '/api/v2/tickets.json'],
        ['POST', '/api/v2/tickets.json'],
        ['GET', '/api/v2/tickets/2.json'],
      ] as const) {
        const body = method === 'POST' ? '{}' : undefined;
        const r = await send(p.gw.publicUrl, {
          method,
          path,
          headers: ['content-type', 'application/json'],
          ...(body ? { body } : {}),
        });
        expect(r.status).toBe(502);
        expect(r.headers.get('content-type')).toEqual(['application/problem+json']);
        expect(problem(r)).toMatchObject({ status: 502, code: 'GW_UPSTREAM_UNAVAILABLE' });
      }
    } finally {
      p.sim.setFaults({ mode: 'none' });
    }
    await expectRecovered(p);
  });

  it('legacy slower than legacy.headersTimeoutMs → 504 GW_UPSTREAM_TIMEOUT, then normal service', async () => {
    const strict = await startPair({ legacy: { url: p.sim.url, headersTimeoutMs: 300 } }, p.sim);
    try {
      p.sim.setFaults({ mode: 'slow', delayMs: 1_500 });
      const t0 = performance.now();
      const r = await send(strict.gw.publicUrl, { path: '/api/v2/tickets/2.json' });
      const elapsed = performance.now() - t0;
      expect(r.status).toBe(504);
      expect(r.headers.get('content-type')).toEqual(['application/problem+json']);
      expect(problem(r)).toMatchObject({ status: 504, code: 'GW_UPSTREAM_TIMEOUT' });
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(1_400);
      p.sim.setFaults({ mode: 'none' });
      await expectRecovered(strict);
    } finally {
      p.sim.setFaults({ mode: 'none' });
      await strict.close();
    }
  });

  it('legacy resetting connections → 502 GW_UPSTREAM_RESET, at most one retry, then normal service', async () => {
    p.sim.reset();
    p.sim.setFaults({ mode: 'reset' });
    try {
      const get = await send(p.gw.publicUrl, { path: '/api/v2/tickets/2.json' });
      expect(get.status).toBe(502);
      expect(problem(get)).toMatchObject({ status: 502, code: 'GW_UPSTREAM_RESET' });
      expect(p.sim.requests().length).toBeLessThanOrEqual(2);
      p.sim.reset();
      p.sim.setFaults({ mode: 'reset' });
      const post = await send(p.gw.publicUrl, {
        method: 'POST',
        path: '/api/v2/tickets.json',
        headers: ['content-type', 'application/json'],
        body: '{"ticket":{"subject":"s","comment":{"body":"b"}}}',
      });
      expect(post.status).toBe(502);
      expect(problem(post).code).toBe('GW_UPSTREAM_RESET');
      // A non-idempotent request is never retried.
      expect(p.sim.requests()).toHaveLength(1);
    } finally {
      p.sim.setFaults({ mode: 'none' });
    }
    await expectRecovered(p);
  });

  it('a websocket upgrade while legacy is down gets a 502 problem, and works again once it is back', async () => {
    const { default: WebSocket } = await import('ws');
    const url = `${p.gw.publicUrl.replace(/^http/, 'ws')}/api/v2/presence`;
    p.sim.setFaults({ mode: 'down' });
    try {
      const ws = new WebSocket(url, { headers: { Authorization: 'Bearer x' } });
      ws.on('error', () => {});
      const status = await new Promise<number>((resolve) =>
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
      );
      expect(status).toBe(502);
      ws.terminate();
    } finally {
      p.sim.setFaults({ mode: 'none' });
    }
    const ws = new WebSocket(url, { headers: { Authorization: 'Bearer x' } });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(String(d)));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'snapshot' });
    ws.close();
  });
});
