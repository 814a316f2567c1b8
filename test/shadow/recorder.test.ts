import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createRecorder,
  type RecordedExchange,
  type RecordedLine,
  type RecorderOptions,
  sampleKey,
} from '../../src/shadow/recorder.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
async function tmpFile(name = 'traffic.jsonl') {
  const d = await mkdtemp(path.join(tmpdir(), 'gw-rec-'));
  dirs.push(d);
  return path.join(d, name);
}

/** Stand-ins for the masker: visible, checkable transformations. */
const maskHeaders = vi.fn((h: Record<string, string>) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = /authorization|cookie|token/.test(k) ? '[stripped]' : v;
  return out;
});
const maskBody = vi.fn((v: unknown): unknown => {
  if (typeof v === 'string') return v.replace(/[\w.]+@[\w.]+/g, '‹email›');
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'email' ? '‹pii›' : x]));
  }
  return v;
});

function recorder(file: string, over: Partial<RecorderOptions> = {}) {
  return createRecorder({ file, maxBytes: 1_000_000, sampleRate: 1, maskHeaders, maskBody, ...over });
}

const exchange = (n: number, over: Partial<RecordedExchange> = {}): RecordedExchange => ({
  method: 'POST',
  url: `/api/v2/tickets.json?n=${n}`,
  headers: { 'content-type': 'application/json', authorization: 'Bearer secret-token', 'x-n': String(n) },
  body: Buffer.from(JSON.stringify({ subject: `ticket ${n}`, email: 'anna@example.com' })),
  status: 201,
  servedBy: 'legacy',
  slice: 'tickets.create',
  requestId: `req-${n}`,
  ...over,
});

async function lines(file: string): Promise<RecordedLine[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordedLine);
}

describe('traffic recorder', () => {
  it('writes one valid JSONL line per request, masked through the injected hooks', async () => {
    maskHeaders.mockClear();
    maskBody.mockClear();
    const file = await tmpFile();
    const rec = recorder(file);
    rec.record(exchange(1, { at: '2024-05-01T10:00:00Z' }));
    rec.record(
      exchange(2, {
        method: 'GET',
        url: '/api/v2/users.json?token=abc123&page=2&email=x%40y.z',
        body: null,
        status: 200,
      }),
    );
    await rec.close();
    const [a, b] = await lines(file);
    expect(a).toEqual({
      at: '2024-05-01T10:00:00.000Z',
      method: 'POST',
      url: '/api/v2/tickets.json?n=1',
      headers: { 'content-type': 'application/json', authorization: '[stripped]', 'x-n': '1' },
      body: JSON.stringify({ subject: 'ticket 1', email: '‹pii›' }),
      status: 201,
      servedBy: 'legacy',
      slice: 'tickets.create',
      requestId: 'req-1',
    });
    expect(maskHeaders).toHaveBeenCalledTimes(2);
    expect(maskBody).toHaveBeenCalledWith({ subject: 'ticket 1', email: 'anna@example.com' });
    // Secret query parameters are redacted (the access log's list); the others stay.
    expect(b?.url).toBe('/api/v2/users.json?token=[redacted]&page=2&email=[redacted]');
    expect(b).not.toHaveProperty('body');
    expect(Date.parse(b?.at ?? '')).toBeGreaterThan(Date.now() - 10_000);
    const raw = await readFile(file, 'utf8');
    expect(raw).not.toContain('secret-token');
    expect(raw).not.toContain('anna@example.com');
    expect(raw).not.toContain('abc123');
  });

  it('keeps bodies as text, form fields or base64; says why a body is missing', async () => {
    const file = await tmpFile();
    const rec = recorder(file, { maxBodyBytes: 100 });
    rec.record(exchange(1, { headers: { 'content-type': 'text/plain' }, body: 'call me at bob@example.org' }));
    rec.record(
      exchange(2, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'email=bob%40example.org&subject=hi+there',
      }),
    );
    rec.record(
      exchange(3, { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0xff, 0, 0xfe]) }),
    );
    rec.record(exchange(4, { body: Buffer.alloc(101, 'a') }));
    rec.record(exchange(5, { body: null, bodyStreamed: true }));
    rec.record(exchange(6, { body: Buffer.from('{"email":"a@b.c"}'), headers: {} }));
    await rec.close();
    const [text, form, binary, large, streamed, sniffed] = await lines(file);
    expect(text?.body).toBe('call me at ‹email›');
    expect(new URLSearchParams(form?.body)).toEqual(new URLSearchParams({ email: '‹pii›', subject: 'hi there' }));
    expect(binary?.bodyBase64).toBe(Buffer.from([0xff, 0, 0xfe]).toString('base64'));
    expect(binary).not.toHaveProperty('body');
    expect(large).toMatchObject({ bodyOmitted: 'too_large' });
    expect(large).not.toHaveProperty('body');
    expect(streamed).toMatchObject({ bodyOmitted: 'streamed' });
    expect(sniffed?.body).toBe('{"email":"‹pii›"}');
  });

  it('never keeps a body the masker failed on', async () => {
    const file = await tmpFile();
    const rec = recorder(file, {
      maskBody: () => {
        throw new Error('boom');
      },
    });
    rec.record(exchange(1));
    await rec.close();
    const [line] = await lines(file);
    expect(line).toMatchObject({ bodyOmitted: 'unmaskable' });
    expect(await readFile(file, 'utf8')).not.toContain('anna@example.com');
  });

  it('samples deterministically by request id, near the configured rate', async () => {
    const file = await tmpFile();
    const rec = recorder(file, { sampleRate: 0.25 });
    for (let i = 0; i < 2000; i++) rec.record(exchange(i, { body: null }));
    await rec.close();
    const written = (await lines(file)).map((l) => l.requestId);
    expect(written.length).toBeGreaterThan(2000 * 0.2);
    expect(written.length).toBeLessThan(2000 * 0.3);
    expect(rec.stats()).toMatchObject({ seen: 2000, written: written.length, sampledOut: 2000 - written.length });
    // The same ids make the same choice in another recorder (another replica).
    const again = await tmpFile('again.jsonl');
    const rec2 = recorder(again, { sampleRate: 0.25 });
    for (let i = 0; i < 2000; i++) rec2.record(exchange(i, { body: null }));
    await rec2.close();
    expect((await lines(again)).map((l) => l.requestId)).toEqual(written);
    expect(written.every((id) => sampleKey(id) < 0.25)).toBe(true);
  });

  it('does not record requests that came from gateway replay', async () => {
    const file = await tmpFile();
    const rec = recorder(file);
    rec.record(exchange(1, { headers: { 'x-gateway-replay': 'run-1' } }));
    rec.record(exchange(2));
    await rec.close();
    expect((await lines(file)).map((l) => l.requestId)).toEqual(['req-2']);
    expect(rec.stats()).toMatchObject({ seen: 2, replays: 1, written: 1 });
  });

  it('records nothing at rate 0', async () => {
    const file = await tmpFile();
    const rec = recorder(file, { sampleRate: 0 });
    for (let i = 0; i < 50; i++) rec.record(exchange(i));
    await rec.close();
    expect(existsSync(file)).toBe(false);
    expect(rec.stats()).toMatchObject({ seen: 50, sampledOut: 50, written: 0 });
  });

  it('stops at maxBytes with whole lines only, says so once, and counts what it skipped', async () => {
    const file = await tmpFile();
    await writeFile(file, '{"already":"here"}\n'); // an existing file counts toward the limit
    const warn = vi.fn();
    const rec = recorder(file, { maxBytes: 3_000, logger: { warn, error: vi.fn() } });
    for (let i = 0; i < 100; i++) rec.record(exchange(i));
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 100; i < 110; i++) rec.record(exchange(i));
    await rec.close();
    const size = (await stat(file)).size;
    expect(size).toBeLessThanOrEqual(3_000);
    const all = await readFile(file, 'utf8');
    const written = all.trimEnd().split('\n');
    for (const l of written) JSON.parse(l);
    const s = rec.stats();
    expect(s.full).toBe(true);
    expect(s.written).toBe(written.length - 1);
    expect(s.written).toBeGreaterThan(3);
    expect(s.bytes).toBe(size);
    expect(s.written + s.skippedFull).toBe(110);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatch(/size limit/);
  });

  it('never blocks the caller: record() returns before anything is written; a full queue drops and counts', async () => {
    const file = await tmpFile();
    const rec = recorder(file, { maxPending: 5 });
    for (let i = 0; i < 20; i++) rec.record(exchange(i));
    // Nothing happened synchronously: masking and writing come later.
    expect(existsSync(file)).toBe(false);
    expect(rec.stats()).toMatchObject({ seen: 20, pending: 5, dropped: 15, written: 0 });
    await rec.close();
    expect((await lines(file)).map((l) => l.requestId)).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4']);
    expect(rec.stats()).toMatchObject({ written: 5, dropped: 15, pending: 0 });
  });

  it('bounds queued body bytes too', async () => {
    const file = await tmpFile();
    const rec = recorder(file, { maxPendingBytes: 1_000 });
    for (let i = 0; i < 10; i++) rec.record(exchange(i, { body: Buffer.alloc(300, 'x'), headers: {} }));
    expect(rec.stats()).toMatchObject({ pending: 3, dropped: 7 });
    await rec.close();
  });

  it('a file it cannot write stops recording with one error, and nothing throws at the caller', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gw-rec-'));
    dirs.push(dir);
    const error = vi.fn();
    const rec = recorder(path.join(dir, 'missing', 'traffic.jsonl'), { logger: { warn: vi.fn(), error } });
    rec.record(exchange(1));
    await new Promise((r) => setTimeout(r, 20));
    rec.record(exchange(2));
    await rec.close();
    expect(error).toHaveBeenCalledTimes(1);
    expect(rec.stats()).toMatchObject({ failed: true, written: 0 });
  });
});
