import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { blobBytes } from '../../../legacy-adapters/simulator/streaming.js';
import { arr, call, obj } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('streaming', () => {
  it('streams NDJSON events in separate chunks spread over time', async () => {
    const res = await request(`${sim.url}/api/v2/stream/events?count=5&interval_ms=100`);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    expect(res.headers['content-length']).toBeUndefined();
    const arrivals: { at: number; text: string }[] = [];
    for await (const chunk of res.body)
      arrivals.push({ at: performance.now(), text: Buffer.from(chunk).toString('utf8') });
    const lines = arrivals
      .map((a) => a.text)
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(lines.map((l) => obj(l).seq)).toEqual([1, 2, 3, 4, 5]);
    expect(obj(lines[0])).toEqual({ seq: 1, type: 'ticket.updated', ticket_id: 1 });
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    const first = arrivals[0]?.at ?? 0;
    const last = arrivals.at(-1)?.at ?? 0;
    // Four intervals of 100 ms lie between the first and the last event (slack for a busy client).
    expect(last - first).toBeGreaterThanOrEqual(250);
  });

  it('sends a deterministic blob with Content-Length', async () => {
    const size = 5 * 1024 * 1024 + 123;
    const res = await call(sim.url, `/api/v2/attachments/blob?size=${size}`);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.headers['content-length']).toBe(String(size));
    expect(res.raw.length).toBe(size);
    expect(sha256(res.raw)).toBe(sha256(blobBytes(size)));
    expect((await call(sim.url, `/api/v2/attachments/blob?size=${65 * 1024 * 1024}`)).status).toBe(422);
  });

  it('digests a streamed 10 MB upload', async () => {
    const size = 10 * 1024 * 1024;
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(256 * 1024);
    function* parts() {
      for (let i = 0; i < size / chunk.length; i++) {
        chunk.fill(i & 0xff);
        hash.update(chunk);
        yield Buffer.from(chunk);
      }
    }
    const res = await request(`${sim.url}/api/v2/uploads`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4' },
      body: Readable.from(parts()),
    });
    const json = obj(await res.body.json());
    expect(res.statusCode).toBe(201);
    expect(json).toEqual({ upload: { size, sha256: hash.digest('hex') } });
    const recorded = sim.requests().find((r) => r.url === '/api/v2/uploads');
    expect(recorded?.bodyBytes).toBe(size);
  });

  it('echoes what legacy received: method, raw URL, lower-cased headers, repeated headers, body digest', async () => {
    const res = await request(`${sim.url}/api/v2/echo/a/b?x=1&y=%20`, {
      method: 'PATCH',
      headers: ['X-Custom', 'One', 'x-custom', 'Two', 'Content-Type', 'text/plain'],
      body: 'hello',
    });
    const json = obj(await res.body.json());
    expect(json.method).toBe('PATCH');
    expect(json.url).toBe('/api/v2/echo/a/b?x=1&y=%20');
    expect(obj(json.headers)['x-custom']).toEqual(['One', 'Two']);
    expect(obj(json.headers)['content-type']).toBe('text/plain');
    expect(json.body_bytes).toBe(5);
    expect(json.body_sha256).toBe(sha256(Buffer.from('hello')));
    expect(arr(Object.keys(obj(json.headers))).every((k) => k === String(k).toLowerCase())).toBe(true);
  });
});
