/**
 * Transparency, part 2: bodies the gateway must stream rather than hold — 10 MB uploads and downloads, a slow chunked
 * event stream, JSON rewritten while streaming — and websockets tunnelled to legacy.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { blobBytes } from '../../legacy-adapters/simulator/streaming.js';
import { expectTransparent, header, type Pair, sha256, startPair, waitFor } from '../helpers/transparency.js';

const MB10 = 10 * 1024 * 1024;
const BLOCK = 64 * 1024;

let p: Pair;
beforeAll(async () => {
  p = await startPair();
});
afterAll(async () => {
  await p?.close();
});

/** Streams a response body through SHA-256 without keeping it; records when each chunk arrived. */
async function download(url: string, headers: string[] = []) {
  const agent = new Agent();
  try {
    const started = performance.now();
    const res = await request(url, { dispatcher: agent, headers });
    const hash = createHash('sha256');
    const chunks: { at: number; bytes: number }[] = [];
    const parts: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      chunks.push({ at: performance.now() - started, bytes: buf.length });
      hash.update(buf);
      bytes += buf.length;
      if (bytes <= 64 * 1024) parts.push(buf);
    }
    return {
      status: res.statusCode,
      headers: res.headers,
      sha256: hash.digest('hex'),
      bytes,
      chunks,
      head: Buffer.concat(parts),
    };
  } finally {
    await agent.close();
  }
}

async function upload(origin: string, body: Readable | Buffer, headers: string[]) {
  const agent = new Agent();
  try {
    const res = await request(`${origin}/api/v2/uploads`, { dispatcher: agent, method: 'POST', headers, body });
    return { status: res.statusCode, json: (await res.body.json()) as { upload: { size: number; sha256: string } } };
  } finally {
    await agent.close();
  }
}

function blocks(data: Buffer, from = 0, to = data.length): Generator<Buffer> {
  return (function* () {
    for (let off = from; off < to; off += BLOCK) yield data.subarray(off, Math.min(off + BLOCK, to));
  })();
}

describe('large bodies', () => {
  const data = Buffer.alloc(MB10);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const digest = sha256(data);

  it('a 10 MB upload reaches legacy intact (Content-Length and chunked), same answer as direct', async () => {
    const headers = ['content-type', 'application/octet-stream'];
    await expectTransparent(p, { method: 'POST', path: '/api/v2/uploads', headers, body: data });
    const sized = await upload(p.gw.publicUrl, Readable.from(blocks(data)), [
      ...headers,
      'content-length',
      String(MB10),
    ]);
    expect(sized).toEqual({ status: 201, json: { upload: { size: MB10, sha256: digest } } });
    const chunked = await upload(p.gw.publicUrl, Readable.from(blocks(data)), headers);
    expect(chunked).toEqual({ status: 201, json: { upload: { size: MB10, sha256: digest } } });
  });

  it('the upload is streamed: legacy receives bytes before the client has sent the last one', async () => {
    p.sim.reset();
    const half = MB10 / 2;
    const uploading = () => p.sim.requests().find((r) => r.url === '/api/v2/uploads');
    async function* body() {
      yield* blocks(data, 0, half);
      // The rest is only sent once legacy has seen a good part of the first half: a buffering gateway deadlocks here.
      await waitFor(() => (uploading()?.bodyBytes ?? 0) >= 1024 * 1024, 5_000, 'legacy to receive the first megabyte');
      yield* blocks(data, half);
    }
    const r = await upload(p.gw.publicUrl, Readable.from(body()), ['content-length', String(MB10)]);
    expect(r).toEqual({ status: 201, json: { upload: { size: MB10, sha256: digest } } });
  });

  it('a 10 MB download arrives intact with legacy headers', async () => {
    const path = `/api/v2/attachments/blob?size=${MB10}`;
    const expected = sha256(blobBytes(MB10));
    const direct = await download(`${p.sim.url}${path}`);
    const via = await download(`${p.gw.publicUrl}${path}`);
    expect(via.status).toBe(200);
    expect(via.bytes).toBe(MB10);
    expect(via.sha256).toBe(expected);
    expect(direct.sha256).toBe(expected);
    expect(via.headers['content-length']).toBe(String(MB10));
    expect(via.headers['content-disposition']).toBe(direct.headers['content-disposition']);
    expect(via.headers['content-type']).toBe('application/octet-stream');
  });

  it('gateway memory does not grow with each 10 MB transfer', async () => {
    const path = `${p.gw.publicUrl}/api/v2/attachments/blob?size=${MB10}`;
    await download(path); // warm-up: pools, buffers and JIT
    global.gc?.();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 5; i++) {
      const r = await download(path);
      expect(r.bytes).toBe(MB10);
      const up = await upload(p.gw.publicUrl, Readable.from(blocks(data)), ['content-length', String(MB10)]);
      expect(up.json.upload.sha256).toBe(digest);
    }
    global.gc?.();
    // 10 transfers of 10 MB: holding each body once would add ~100 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('slow chunked responses', () => {
  const path = '/api/v2/stream/events?count=5&interval_ms=100';

  it('arrive as they are produced, not all at once, and with the same bytes as direct', async () => {
    const via = await download(`${p.gw.publicUrl}${path}`);
    expect(via.status).toBe(200);
    expect(via.headers['content-type']).toBe('application/x-ndjson');
    expect(via.chunks.length).toBeGreaterThanOrEqual(3);
    const first = via.chunks[0]?.at ?? 0;
    const last = via.chunks.at(-1)?.at ?? 0;
    // Legacy spreads 5 lines over 400 ms: a buffering gateway would deliver them within a few ms of each other.
    expect(last - first).toBeGreaterThan(250);
    const lines = via.head.toString('utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5]);
    await expectTransparent(p, { path });
  });

  it('a large JSON body rewritten while streaming (above maxRewriteBufferBytes) equals legacy, gzip or not', async () => {
    const small = await startPair({ legacy: { url: p.sim.url, maxRewriteBufferBytes: 512 } }, p.sim);
    try {
      for (const headers of [[], ['accept-encoding', 'gzip']]) {
        const { viaGateway } = await expectTransparent(
          small,
          { path: '/api/v2/tickets.json?per_page=100&page=1', headers },
          // Streamed rewriting cannot know the final length: chunked framing instead of Content-Length.
          { ignoreHeaders: ['content-length'] },
        );
        expect(viaGateway.body.includes(small.sim.url)).toBe(false);
        expect(header(viaGateway, 'content-encoding')).toBe(headers.length ? 'gzip' : undefined);
      }
    } finally {
      await small.close();
    }
  });
});

describe('websockets', () => {
  const wsUrl = () => `${p.gw.publicUrl.replace(/^http/, 'ws')}/api/v2/presence`;

  /** Opens a client and resolves with it and its first message (legacy's snapshot). */
  async function connect(
    headers: Record<string, string> = { Authorization: 'Bearer x', Origin: 'https://agent.example', Cookie: 'sid=42' },
  ) {
    const ws = new WebSocket(wsUrl(), { headers });
    const messages: Record<string, unknown>[] = [];
    const waiters: (() => void)[] = [];
    ws.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const w of waiters.splice(0)) w();
    });
    const next = async (type: string): Promise<Record<string, unknown>> => {
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i !== -1) return messages.splice(i, 1)[0] as Record<string, unknown>;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    await once(ws, 'open');
    return { ws, next };
  }

  it('tunnels to legacy: snapshot, broadcast to a second client, app ping and protocol ping', async () => {
    p.sim.reset();
    const a = await connect();
    const b = await connect();
    try {
      const snap = await a.next('snapshot');
      expect(Array.isArray(snap.agents)).toBe(true);
      await b.next('snapshot');
      a.ws.send(
        JSON.stringify({ type: 'set_status', agent_id: (snap.agents as { id: number }[])[0]?.id, status: 'offline' }),
      );
      const seen = await b.next('presence');
      expect(seen).toMatchObject({ type: 'presence', status: 'offline' });
      b.ws.send(JSON.stringify({ type: 'ping' }));
      expect(await b.next('pong')).toEqual({ type: 'pong' });
      const pong = once(a.ws, 'pong');
      a.ws.ping(Buffer.from('hi'));
      expect(String((await pong)[0])).toBe('hi');
      // Legacy saw the upgrade with the client's credentials and the gateway's forwarding headers.
      const handshake = p.sim.requests().filter((r) => r.url === '/api/v2/presence');
      expect(handshake).toHaveLength(2);
      expect(handshake[0]?.headers.authorization).toBe('Bearer x');
      expect(handshake[0]?.headers).toMatchObject({
        origin: 'https://agent.example',
        cookie: 'sid=42',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-host': new URL(p.gw.publicUrl).host,
        host: new URL(p.sim.url).host,
      });
    } finally {
      a.ws.close();
      b.ws.close();
      await Promise.all([once(a.ws, 'close'), once(b.ws, 'close')]);
    }
  });

  it("without a token the client gets legacy's own 401 answer", async () => {
    const ws = new WebSocket(wsUrl());
    ws.on('error', () => {}); // terminate() below reports the aborted handshake as an error
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="legacy-sim"');
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toEqual({ error: "Couldn't authenticate you" });
    ws.terminate();
  });
});
