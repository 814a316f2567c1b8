/**
 * Size and time limits: oversized headers and bodies, slow clients, and clients that leave mid-request or
 * mid-response. The gateway answers what it refuses, keeps serving others meanwhile, and cancels legacy's side of
 * whatever a client abandons (no request left running on the legacy pool).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.js';
import { exchange, expectServing, legacyLog, parseResponses, problemOf } from './wire.js';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 1_000;
const SLICE_BODY_CAP = 64 * 1024;

let s: Stack;
beforeAll(async () => {
  s = await startStack({
    overrides: {
      server: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS },
      pipeline: { maxBufferedBodyBytes: SLICE_BODY_CAP },
    },
  });
  await s.serveLive('intent.order_status');
});
afterAll(async () => {
  await s?.close();
});

const idle = () => s.waitFor(() => s.gw.deps.legacyPool.stats.running === 0, 3_000);

/** Opens a raw connection; `closed` resolves with what the gateway sent once it closes the socket. */
function open(): { sock: net.Socket; closed: Promise<{ text: string; afterMs: number }> } {
  const u = new URL(s.gw.publicUrl);
  const sock = net.connect(Number(u.port), u.hostname);
  const t0 = performance.now();
  let text = '';
  sock.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  sock.on('error', () => {});
  const closed = new Promise<{ text: string; afterMs: number }>((resolve) =>
    sock.once('close', () => resolve({ text, afterMs: performance.now() - t0 })),
  );
  return { sock, closed };
}

/** Fails instead of waiting for node's default 30 s check when a timeout is not enforced. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms);
    }),
  ]);
}

describe('oversized requests', () => {
  it.each([
    ['one 20 KiB header', `X-Big: ${'a'.repeat(20 * 1024)}\r\n`],
    ['1 000 small headers', Array.from({ length: 1_000 }, (_, i) => `X-H${i}: ${'b'.repeat(12)}\r\n`).join('')],
  ])('%s: 431 problem, closed, nothing at legacy', async (_name, headers) => {
    const seen = legacyLog(s.sim);
    const ex = await exchange(s.gw.publicUrl, `GET /api/v2/echo/big HTTP/1.1\r\nHost: gw.example\r\n${headers}\r\n`);
    expect(ex.closed).toBe(true);
    expect(ex.responses.map((r) => r.status)).toEqual([431]);
    expect(problemOf(ex.responses[0]).title).toBe('Request header fields too large');
    expect(seen()).toEqual([]);
    await expectServing(s.gw.publicUrl);
  });

  it('a slice body over the buffer cap goes to legacy whole, streamed (reason body_too_large)', async () => {
    const body = JSON.stringify({
      message: {
        author: { type: 'user', id: '10001' },
        content: { type: 'text', text: `where is my order A-1001? ${'x'.repeat(SLICE_BODY_CAP * 3)}` },
      },
    });
    const seen = legacyLog(s.sim);
    const res = await fetch(`${s.gw.publicUrl}/api/v2/conversations/conv-big/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    await res.arrayBuffer();
    expect(res.headers.get('x-gateway-served-by')).toBe('legacy');
    expect(res.headers.get('x-gateway-fallback-reason')).toBe('body_too_large');
    const posted = seen().filter((r) => r.method === 'POST');
    expect(posted).toHaveLength(1);
    expect(posted[0]?.bodyBytes).toBe(body.length);
    expect(posted[0]?.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('a passthrough body over legacy’s own limit gets legacy’s own answer, not a gateway cap', async () => {
    const body = JSON.stringify({ ticket: { subject: 'big', comment: { body: 'y'.repeat(1_200_000) } } });
    const ask = async (origin: string) => {
      const r = await fetch(`${origin}/api/v2/tickets.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      return { status: r.status, body: await r.text() };
    };
    expect(await ask(s.gw.publicUrl)).toEqual(await ask(s.sim.url));
  });
});

describe('slow clients', () => {
  it('headers dribbled: 408 problem after headersTimeoutMs, while other clients are served', async () => {
    const slow = open();
    slow.sock.write('GET /api/v2/echo/slow HTTP/1.1\r\nHost: gw.example\r\n');
    const drip = setInterval(() => slow.sock.writable && slow.sock.write('X-Drip: 1\r\n'), 50);
    try {
      await expectServing(s.gw.publicUrl);
      const { text, afterMs } = await within(slow.closed, 5_000, 'slow-header connection closed');
      expect(afterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.9);
      const [answer] = parseResponses(text);
      expect(answer?.status).toBe(408);
      expect(problemOf(answer).code).toBe('GW_REQUEST_TIMEOUT');
    } finally {
      clearInterval(drip);
      slow.sock.destroy();
    }
  });

  it('body dribbled to a passthrough route: 408 after requestTimeoutMs, legacy’s request cancelled', async () => {
    const seen = legacyLog(s.sim);
    const slow = open();
    slow.sock.write('POST /api/v2/uploads HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 1000\r\n\r\n');
    const drip = setInterval(() => slow.sock.writable && slow.sock.write('z'), 50);
    try {
      await expectServing(s.gw.publicUrl);
      const { text } = await within(slow.closed, 5_000, 'slow-body connection closed');
      expect(parseResponses(text).map((r) => r.status)).toEqual([408]);
      await idle();
      const upload = seen().filter((r) => r.url === '/api/v2/uploads');
      expect(upload).toHaveLength(1);
      expect(upload[0]?.bodyBytes).toBeLessThan(1000);
    } finally {
      clearInterval(drip);
      slow.sock.destroy();
    }
  });

  it('body dribbled to a slice route that buffers it: 408, nothing classified, nothing at legacy', async () => {
    const seen = legacyLog(s.sim);
    const slow = open();
    slow.sock.write(
      'POST /api/v2/conversations/conv-slow/messages HTTP/1.1\r\nHost: gw.example\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"message":',
    );
    const drip = setInterval(() => slow.sock.writable && slow.sock.write(' '), 50);
    try {
      const { text } = await within(slow.closed, 5_000, 'slow-body connection closed');
      expect(parseResponses(text).map((r) => r.status)).toEqual([408]);
      expect(seen().filter((r) => r.url.includes('conv-slow'))).toEqual([]);
      await expectServing(s.gw.publicUrl);
    } finally {
      clearInterval(drip);
      slow.sock.destroy();
    }
  });
});

describe('clients that leave', () => {
  it('mid-stream (chunked events): legacy’s stream is cancelled, the gateway keeps serving', async () => {
    const c = open();
    c.sock.write('GET /api/v2/stream/events?count=1000&interval_ms=20 HTTP/1.1\r\nHost: gw.example\r\n\r\n');
    await s.waitFor(() => s.gw.deps.legacyPool.stats.running === 1);
    await new Promise<void>((resolve) => {
      let lines = 0;
      c.sock.on('data', (d: Buffer) => {
        lines += d.toString().split('"seq"').length - 1;
        if (lines >= 3) resolve();
      });
    });
    c.sock.destroy();
    await idle();
    await expectServing(s.gw.publicUrl);
  });

  it('mid-download (64 MiB blob): legacy’s response is cancelled long before it is sent', async () => {
    const c = open();
    c.sock.write('GET /api/v2/attachments/blob?size=67108864 HTTP/1.1\r\nHost: gw.example\r\n\r\n');
    let received = 0;
    await new Promise<void>((resolve) =>
      c.sock.on('data', (d: Buffer) => {
        received += d.length;
        if (received > 256 * 1024) resolve();
      }),
    );
    c.sock.destroy();
    await idle();
    expect(received).toBeLessThan(64 * 1024 * 1024);
    await expectServing(s.gw.publicUrl);
  });

  it('mid-upload: legacy’s request is aborted unfinished', async () => {
    const seen = legacyLog(s.sim);
    const c = open();
    c.sock.write('POST /api/v2/uploads HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 1000000\r\n\r\n');
    c.sock.write(Buffer.alloc(100_000, 1));
    await s.waitFor(() => (seen()[0]?.bodyBytes ?? 0) > 0);
    c.sock.destroy();
    await idle();
    const upload = seen().filter((r) => r.url === '/api/v2/uploads');
    expect(upload).toHaveLength(1);
    expect(upload[0]?.bodyBytes).toBeLessThan(1_000_000);
    await expectServing(s.gw.publicUrl);
  });

  it('mid-body on a slice route that buffers it: nothing classified, nothing at legacy, no crash', async () => {
    const seen = legacyLog(s.sim);
    const c = open();
    // Destroyed once the partial body is handed to the kernel: the gateway gets headers, part of the body, then FIN.
    c.sock.write(
      'POST /api/v2/conversations/conv-left/messages HTTP/1.1\r\nHost: gw.example\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"message":{',
      () => c.sock.destroy(),
    );
    await c.closed;
    await expectServing(s.gw.publicUrl);
    expect(seen().filter((r) => r.url.includes('conv-left'))).toEqual([]);
  });
});
