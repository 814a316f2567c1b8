import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rawHttp } from '../helpers/raw-http.js';
import { header, type Pair, send, startPair } from '../helpers/transparency.js';

let p: Pair;
beforeAll(async () => {
  p = await startPair();
});
afterAll(async () => {
  await p?.close();
});

describe('transparency edge cases (regressions)', () => {
  it('OPTIONS * (asterisk-form) reaches legacy instead of a gateway 502', async () => {
    const ask = (origin: string) =>
      rawHttp(origin, `OPTIONS * HTTP/1.1\r\nHost: ${new URL(origin).host}\r\nConnection: close\r\n\r\n`);
    const direct = await ask(p.sim.url);
    const via = await ask(p.gw.publicUrl);
    expect(via.split('\r\n')[0]).toBe(direct.split('\r\n')[0]); // legacy: "HTTP/1.1 404 Not Found"
    expect(via).not.toContain('GW_UPSTREAM_ERROR');
  });

  it('HEAD never announces a Content-Length that differs from what a GET through the gateway sends', async () => {
    const q = await startPair({ publicUrl: 'https://gateway.example.com' }, p.sim);
    try {
      for (const headers of [[], ['accept-encoding', 'gzip']]) {
        const get = await send(q.gw.publicUrl, { path: '/api/v2/tickets.json?per_page=5', headers });
        const head = await send(q.gw.publicUrl, { method: 'HEAD', path: '/api/v2/tickets.json?per_page=5', headers });
        expect(header(get, 'content-length')).toBe(String(get.body.length));
        // RFC 9110 §9.3.2: a HEAD may omit a length that is only known while generating the content, never misstate it.
        const headLength = header(head, 'content-length');
        if (headLength !== undefined) expect(headLength).toBe(header(get, 'content-length'));
        const text = header(get, 'content-encoding') === 'gzip' ? gunzipSync(get.body).toString() : get.body.toString();
        expect(text).toContain('https://gateway.example.com/');
      }
    } finally {
      await q.close();
    }
  });

  it('gateway close() with an open websocket returns once the client has answered the close frame', async () => {
    const q = await startPair({}, p.sim);
    const ws = new WebSocket(`${q.gw.publicUrl.replace(/^http/, 'ws')}/api/v2/presence`, {
      headers: { Authorization: 'Bearer x' },
    });
    await once(ws, 'message');
    const closed = once(ws, 'close');
    const t0 = performance.now();
    await q.close();
    const [code] = await closed;
    expect(code).toBe(1001);
    expect(performance.now() - t0).toBeLessThan(500); // takes the full 1 000 ms grace today
  });
  it('absolute-form request targets reach legacy as origin-form; their authority never routes anywhere', async () => {
    const text = await rawHttp(
      p.gw.publicUrl,
      `GET http://169.254.169.254/api/v2/echo/abs?x=1 HTTP/1.1\r\nHost: ${new URL(p.gw.publicUrl).host}\r\nConnection: close\r\n\r\n`,
    );
    expect(text.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const echo = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as {
      url: string;
      headers: Record<string, string>;
    };
    expect(echo.url).toBe('/api/v2/echo/abs?x=1');
    expect(echo.headers.host).toBe(new URL(p.sim.url).host);
  });

  it('answers a request target that is neither origin- nor absolute-form with a 400 problem', async () => {
    const text = await rawHttp(p.gw.publicUrl, `GET ftp:x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(text.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 400/);
    expect(text).toContain('GW_BAD_REQUEST');
  });
});
