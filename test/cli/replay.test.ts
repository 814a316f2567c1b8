import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReplayFlags, runReplay, waitForComparisons } from '../../src/cli/replay.js';
import { routeKey } from '../../src/cli/replay-direct.js';
import { parseReplayInput } from '../../src/cli/replay-input.js';
import { createRateLimiter } from '../../src/cli/replay-send.js';
import { createRecorder } from '../../src/shadow/recorder.js';
import { type AdminStub, capture, makeRecord, startAdminStub, TOKEN } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-replay-'));

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
  at: number;
}

/** A local HTTP target that records what it receives, answers after `delayMs`, and tracks requests in flight. */
async function startTarget(
  opts: { delayMs?: number; status?: (r: Received) => number; onRequest?: (r: Received) => void } = {},
) {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      received.push(r);
      opts.onRequest?.(r);
      setTimeout(() => {
        inFlight--;
        res.writeHead(opts.status?.(r) ?? 200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function target(opts: Parameters<typeof startTarget>[0] = {}) {
  const t = await startTarget(opts);
  cleanups.push(t.close);
  return t;
}
async function adminStub(): Promise<AdminStub> {
  const s = await startAdminStub({ records: [] });
  cleanups.push(s.close);
  return s;
}

/** A sink that looks like a terminal (or not) and keeps what it was given. */
function sink(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream, text: () => text };
}

function jsonl(entries: object[], name = `in-${Math.random().toString(36).slice(2)}.jsonl`): string {
  const file = join(dir, name);
  writeFileSync(file, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return file;
}

const entry = (n: number, over: object = {}) => ({
  at: '2024-05-01T10:00:00.000Z',
  method: 'GET',
  url: `/api/v2/tickets/${n}.json?include=users`,
  headers: { accept: 'application/json' },
  status: 200,
  servedBy: 'legacy',
  slice: 'tickets.get',
  requestId: `orig-${n}`,
  ...over,
});

async function replay(positionals: string[], flags: ReplayFlags, env: Record<string, string> = {}, tty = false) {
  const c = capture();
  const progress = sink(tty);
  const code = await runReplay(positionals, flags, env, c.out, c.err, {
    progress: progress.stream,
    progressEveryMs: 100,
  });
  return { code, stdout: c.stdout(), stderr: c.stderr(), progress: progress.text() };
}

describe('replay input', () => {
  it('reads what the recorder writes (JSONL): method, path+query, headers, body; skips what it cannot resend', async () => {
    const file = join(dir, 'recorded.jsonl');
    const rec = createRecorder({
      file,
      maxBytes: 1_000_000,
      sampleRate: 1,
      maskHeaders: (h) => ({ ...h, authorization: '[stripped]' }),
      maskBody: (v) => v,
    });
    rec.record({
      method: 'POST',
      url: '/api/v2/tickets.json?async=1',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer x',
        connection: 'keep-alive',
        host: 'legacy.internal',
        'content-length': '17',
      },
      body: Buffer.from('{"subject":"hi"}'),
      status: 201,
      servedBy: 'legacy',
      slice: 'tickets.create',
      requestId: 'a',
    });
    rec.record({
      method: 'PUT',
      url: '/upload',
      headers: {},
      bodyStreamed: true,
      status: 200,
      servedBy: 'legacy',
      slice: null,
      requestId: 'b',
    });
    rec.record({
      method: 'PUT',
      url: '/bin',
      headers: {},
      body: Buffer.from([0xff, 0x00]),
      status: 200,
      servedBy: 'legacy',
      slice: null,
      requestId: 'c',
    });
    await rec.close();
    const { readFileSync } = await import('node:fs');
    writeFileSync(file, `${readFileSync(file, 'utf8')}{"truncated":\n`);

    const input = parseReplayInput(readFileSync(file, 'utf8'), file);
    expect(input.format).toBe('jsonl');
    expect(input.requests).toHaveLength(2);
    expect(input.requests[0]).toEqual({
      n: 1,
      method: 'POST',
      path: '/api/v2/tickets.json?async=1',
      // Masked secrets, hop-by-hop, Host and Content-Length are not resent.
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"subject":"hi"}'),
      slice: 'tickets.create',
    });
    expect(input.requests[1]?.body).toEqual(Buffer.from([0xff, 0x00]));
    expect(input.skipped).toEqual([
      { n: 2, reason: 'body not recorded (streamed)' },
      { n: 4, reason: 'not JSON' },
    ]);
  });

  it('reads HAR 1.2: absolute URLs become path+query, pseudo and hop-by-hop headers go, bodies from postData', () => {
    const har = {
      log: {
        version: '1.2',
        entries: [
          {
            request: {
              method: 'post',
              url: 'https://support.example.com/api/v2/tickets.json?x=1',
              headers: [
                { name: ':authority', value: 'support.example.com' },
                { name: 'Host', value: 'support.example.com' },
                { name: 'Connection', value: 'keep-alive, X-Hop' },
                { name: 'X-Hop', value: 'drop me' },
                { name: 'Content-Length', value: '12' },
                { name: 'Transfer-Encoding', value: 'chunked' },
                { name: 'Cookie', value: 'a=1' },
                { name: 'Cookie', value: 'b=2' },
                { name: 'Content-Type', value: 'application/json' },
              ],
              postData: { mimeType: 'application/json', text: '{"subject":"x"}' },
            },
          },
          { request: { method: 'GET', url: 'http://h/a%20b?q=%C3%A4', headers: [] } },
          {
            request: {
              method: 'PUT',
              url: 'http://h/bin',
              headers: [],
              postData: { text: '/wA=', encoding: 'base64' },
            },
          },
          { request: { method: 'GET', url: 'ftp://h/x', headers: [] } },
          { response: {} },
        ],
      },
    };
    const input = parseReplayInput(JSON.stringify(har), 'session.har');
    expect(input.format).toBe('har');
    expect(input.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/api/v2/tickets.json?x=1'],
      ['GET', '/a%20b?q=%C3%A4'],
      ['PUT', '/bin'],
    ]);
    expect(input.requests[0]?.headers).toEqual({ cookie: 'a=1; b=2', 'content-type': 'application/json' });
    expect(input.requests[0]?.body?.toString()).toBe('{"subject":"x"}');
    expect(input.requests[2]?.body).toEqual(Buffer.from([0xff, 0x00]));
    expect(input.skipped.map((s) => s.n)).toEqual([4, 5]);
  });

  it('rejects a file that is not HAR or JSONL at all', () => {
    expect(() => parseReplayInput('{"log": 1}', 'x.har')).toThrow(/not a HAR file/);
    expect(parseReplayInput('garbage\n', 'x.jsonl').requests).toHaveLength(0);
  });
});

describe('gateway replay against a target', () => {
  it('sends each request to the target origin with its method, path, body and headers, plus the replay headers', async () => {
    const t = await target();
    const file = jsonl([
      entry(1, {
        headers: {
          accept: 'application/json',
          connection: 'close, x-private',
          'x-private': 'hop',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          upgrade: 'h2c',
          'proxy-authorization': 'Basic Zm9vOmJhcg==',
          host: 'legacy.internal:9999',
          'content-length': '999',
          'x-request-id': 'orig-request-id',
          authorization: '[stripped]',
        },
      }),
      entry(2, {
        method: 'POST',
        url: 'http://legacy.internal:9999/api/v2/tickets.json',
        headers: { 'content-type': 'application/json' },
        body: '{"subject":"Printer on fire"}',
      }),
      entry(3, {
        method: 'PUT',
        url: '/api/v2/tickets/3.json',
        bodyBase64: Buffer.from('{"status":"solved"}').toString('base64'),
      }),
    ]);
    const readsOnly = await replay([file], { target: `${t.url}/ignored/path`, wait: '0' });
    expect(readsOnly.code).toBe(0);
    expect(readsOnly.stderr).toContain('write request(s) not sent');
    const reads = t.received.length;
    expect(t.received.every((x) => x.method === 'GET' || x.method === 'HEAD')).toBe(true);
    t.received.length = 0;
    const r = await replay([file], {
      target: `${t.url}/ignored/path`,
      wait: '0',
      header: ['Authorization: Bearer replay-token'],
      'include-writes': true,
    });
    expect(r.code).toBe(0);
    expect(t.received).toHaveLength(3);
    expect(reads).toBeLessThan(3);
    const byPath = new Map(t.received.map((x) => [x.url, x]));
    const get = byPath.get('/api/v2/tickets/1.json?include=users');
    const post = byPath.get('/api/v2/tickets.json');
    const put = byPath.get('/api/v2/tickets/3.json');
    expect(get?.method).toBe('GET');
    expect(post).toMatchObject({ method: 'POST', body: '{"subject":"Printer on fire"}' });
    expect(post?.headers['content-type']).toBe('application/json');
    expect(put).toMatchObject({ method: 'PUT', body: '{"status":"solved"}' });
    // Hop-by-hop headers, the recorded Host and Content-Length never travel; Host is the target's.
    const names = (get?.rawHeaders ?? []).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const h of ['x-private', 'keep-alive', 'te', 'upgrade', 'proxy-authorization']) expect(names).not.toContain(h);
    expect(get?.headers.host).toBe(new URL(t.url).host);
    expect(post?.headers['content-length']).toBe(String(Buffer.byteLength('{"subject":"Printer on fire"}')));
    expect(get?.headers.accept).toBe('application/json');
    // A masked secret is not resent; --header supplies one.
    expect(get?.headers.authorization).toBe('Bearer replay-token');
    // One run id on every request; request ids name the run and the entry.
    const runId = get?.headers['x-gateway-replay'] as string;
    expect(runId).toMatch(/^\d{8}T\d{6}-[0-9a-f]{6}$/);
    expect(t.received.every((x) => x.headers['x-gateway-replay'] === runId)).toBe(true);
    expect(t.received.map((x) => x.headers['x-request-id']).sort()).toEqual(
      [1, 2, 3].map((n) => `replay-${runId}-${n}`),
    );
    expect(r.stderr).toContain(`replay ${runId}: sent 3, answered 3 (200×3), errors 0`);
  });

  it('keeps at most --concurrency requests in flight', async () => {
    const t = await target({ delayMs: 80 });
    const file = jsonl(Array.from({ length: 12 }, (_, i) => entry(i + 1)));
    const r = await replay([file], { target: t.url, wait: '0', rate: '0', concurrency: '3' });
    expect(r.code).toBe(0);
    expect(t.received).toHaveLength(12);
    expect(t.maxInFlight()).toBe(3);
  });

  it('honours --rate: no window of 500 ms holds more than its share (+1 token of burst)', async () => {
    const t = await target();
    const file = jsonl(Array.from({ length: 30 }, (_, i) => entry(i + 1)));
    const started = performance.now();
    const r = await replay([file], { target: t.url, wait: '0', rate: '20/s', concurrency: '10' });
    const elapsed = performance.now() - started;
    expect(r.code).toBe(0);
    expect(t.received).toHaveLength(30);
    const at = t.received.map((x) => x.at).sort((a, b) => a - b);
    for (const start of at) expect(at.filter((x) => x >= start && x < start + 500).length).toBeLessThanOrEqual(12);
    // 30 requests at 20/s need at least 29 intervals of 50 ms.
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(r.stderr).toContain('sent 30, answered 30 (200×30), errors 0');
    const achieved = Number(/([\d.]+) req\/s/.exec(r.stderr.split('\n').find((l) => l.includes('sent 30')) ?? '')?.[1]);
    expect(achieved).toBeGreaterThan(12);
    expect(achieved).toBeLessThanOrEqual(21);
  });

  it('prints a plain progress line periodically when stderr is not a terminal', async () => {
    const t = await target();
    const file = jsonl(Array.from({ length: 12 }, (_, i) => entry(i + 1)));
    const r = await replay([file], { target: t.url, wait: '0', rate: '30', concurrency: '2' });
    expect(r.code).toBe(0);
    const lines = r.progress.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^replay \S+: \d+\/12 sent, \d+ answered, 0 errors, [\d.]+ req\/s$/);
    expect(r.progress).not.toContain('\u001b[');
  });

  it('draws a progress bar on a terminal', async () => {
    const t = await target();
    const file = jsonl(Array.from({ length: 5 }, (_, i) => entry(i + 1)));
    const r = await replay([file], { target: t.url, wait: '0', rate: '0' }, {}, true);
    expect(r.code).toBe(0);
    expect(r.progress).toContain('5/5 sent · 5 answered · 0 errors');
    expect(r.progress).toContain('[==============================]');
  });

  it('counts answers by status and failures by error code; exit 1 when requests failed', async () => {
    const t = await target({ status: (x) => (x.url.includes('/2.') ? 404 : 200) });
    const file = jsonl([entry(1), entry(2), entry(3)]);
    const ok = await replay([file], { target: t.url, wait: '0' });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/answered 3 \((200×2, 404×1|404×1, 200×2)\), errors 0/);
    await t.close();
    const down = await replay([file], { target: t.url, wait: '0', rate: '0' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('sent 3, answered 0, errors 3 (ECONNREFUSED×3)');
  });

  it('usage errors: exit 2 before sending anything', async () => {
    const t = await target();
    const file = jsonl([entry(1)]);
    const cases: Array<[string[], ReplayFlags, string]> = [
      [[], {}, 'usage: gateway replay <file.jsonl|file.har>'],
      [[join(dir, 'missing.jsonl')], { wait: '0' }, 'cannot read'],
      [[file], { target: 'ftp://x', wait: '0' }, '--target must be an http(s) URL'],
      [[file], { rate: 'fast', wait: '0' }, '--rate must be requests per second'],
      [[file], { concurrency: '0', wait: '0' }, '--concurrency must be an integer'],
      [[file], { header: ['no colon'], wait: '0' }, '--header must look like'],
      // The report needs the admin API: without a token nothing is sent.
      [[file], { target: t.url }, 'no admin token'],
      [[jsonl([{ bodyOmitted: 'too_large', method: 'POST', url: '/x' }])], { wait: '0' }, 'no requests to replay'],
    ];
    for (const [positionals, flags, message] of cases) {
      const r = await replay(positionals, { target: t.url, ...flags });
      expect(r.code, message).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(t.received).toHaveLength(0);
  });
});

describe('gateway replay: the report', () => {
  it('waits for the shadow comparisons of its run, then prints the diffs report for that run', async () => {
    const admin = await adminStub();
    // Another run's record must not show up.
    admin.records.push(makeRecord({ replay: 'other-run', result: 'value_mismatch' }));
    // A fake gateway: each replayed request produces a diff record a little later, as the shadow runner would.
    const t = await target({
      onRequest: (r) => {
        const n = Number(/(\d+)\.json/.exec(r.url)?.[1]);
        setTimeout(
          () => {
            admin.records.push(
              makeRecord({
                replay: r.headers['x-gateway-replay'] as string,
                requestId: r.headers['x-request-id'] as string,
                result: n % 2 ? 'match' : 'value_mismatch',
                fields:
                  n % 2
                    ? []
                    : [{ path: 'status', kind: 'changed', comparator: 'enum', legacy: 'open', candidate: 'new' }],
              }),
            );
          },
          150 + n * 40,
        );
      },
    });
    const file = jsonl(Array.from({ length: 6 }, (_, i) => entry(i + 1)));
    const r = await replay([file], {
      target: t.url,
      admin: admin.url,
      token: TOKEN,
      rate: '0',
      json: true,
      records: true,
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const runId = doc.run.runId;
    expect(doc.run).toMatchObject({ sent: 6, answered: 6, byStatus: { 200: 6 }, errors: {} });
    expect(doc.filters).toEqual({ replay: runId });
    // All six comparisons arrived (the last ~400 ms after its request) and nothing else.
    expect(doc.summary.total).toBe(6);
    expect(doc.summary.slices[0].byResult).toMatchObject({ match: 3, value_mismatch: 3 });
    expect(doc.records.map((x: { requestId: string }) => x.requestId).sort()).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `replay-${runId}-${n}`),
    );
    expect(admin.requests.some((x) => x.path === '/admin/diffs/summary' && x.query.replay === runId)).toBe(true);
  });

  it('prints the same table as gateway diffs, headed by the run line', async () => {
    const admin = await adminStub();
    const t = await target({
      onRequest: (r) =>
        admin.records.push(makeRecord({ replay: r.headers['x-gateway-replay'] as string, result: 'schema_error' })),
    });
    const file = jsonl([entry(1), entry(2)]);
    const r = await replay([file], { target: t.url, admin: admin.url, token: TOKEN, rate: '0' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replay \S+: sent 2, answered 2 \(200×2\), errors 0/);
    expect(r.stdout).toContain('Shadow diffs: 2 records');
    expect(r.stdout).toMatch(/│ schema_error\s+│ 2\s+│ 100\.0%\s+│ 100\.0%/);
  });
});

describe('gateway replay --direct', () => {
  it('sends each request to legacy and candidate and reports their differences, masked, without a gateway', async () => {
    const body = (side: 'legacy' | 'candidate', n: number) =>
      JSON.stringify({
        id: n,
        status: side === 'candidate' && n % 2 === 0 ? 'pending' : 'open',
        requester: { email: 'anna.schmidt@example.com' },
      });
    const start = (side: 'legacy' | 'candidate') => {
      const server = http.createServer((req, res) => {
        const n = Number(/(\d+)\.json/.exec(req.url ?? '')?.[1]);
        const reply = () => {
          if (side === 'candidate' && n === 5) {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end('{"error":"boom"}');
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body(side, n));
        };
        if (side === 'candidate' && n === 6) setTimeout(reply, 1_500);
        else reply();
      });
      return new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => {
          cleanups.push(
            () =>
              new Promise<void>((r) => {
                server.closeAllConnections();
                server.close(() => r());
              }),
          );
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        }),
      );
    };
    const [legacy, candidate] = await Promise.all([start('legacy'), start('candidate')]);
    const file = jsonl(Array.from({ length: 6 }, (_, i) => entry(i + 1)));
    const r = await replay([file], {
      direct: true,
      legacy,
      candidate,
      rate: '0',
      timeout: '500',
      json: true,
      records: true,
    });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.source).toBe(`direct: ${legacy} ⇄ ${candidate}`);
    expect(doc.run).toMatchObject({ sent: 6, answered: 6, byStatus: { 200: 6 } });
    // 1, 3: equal; 2, 4: status differs; 5: candidate answers 500 (a status difference); 6: candidate too slow.
    expect(doc.summary.total).toBe(6);
    expect(doc.summary.slices[0]).toMatchObject({
      slice: 'tickets.get',
      byResult: { match: 2, value_mismatch: 3, candidate_timeout: 1 },
    });
    const byRequest = new Map(
      doc.records.map((x: { requestId: string }) => [Number(x.requestId.split('-').pop()), x]),
    ) as Map<
      number,
      {
        result: string;
        fields: Array<{ path: string; legacy: unknown; candidate: unknown }>;
        legacy: { body: unknown };
      }
    >;
    // One real difference; its values are as the gateway's masker leaves them (it may hash free text).
    const [status] = byRequest.get(2)?.fields ?? [];
    expect(byRequest.get(2)?.fields).toHaveLength(1);
    expect(status).toMatchObject({ path: '$body.status', kind: 'changed' });
    expect(status?.legacy).not.toEqual(status?.candidate);
    expect(byRequest.get(5)?.fields[0]).toMatchObject({ path: '$status', legacy: 200, candidate: 500 });
    expect(byRequest.get(6)?.result).toBe('candidate_timeout');
    // Masked as the gateway masks stored records.
    expect(r.stdout).not.toContain('anna.schmidt@example.com');
    expect(JSON.stringify(byRequest.get(1)?.legacy.body)).toMatch(/‹/);
  });

  it('needs both origins, and no --target', async () => {
    const file = jsonl([entry(1)]);
    for (const [flags, message] of [
      [{ direct: true, legacy: 'http://127.0.0.1:1' }, '--direct needs --legacy <url> and --candidate <url>'],
      [
        { direct: true, legacy: 'http://127.0.0.1:1', candidate: 'http://127.0.0.1:2', target: 'http://127.0.0.1:3' },
        'drop --target',
      ],
      [{ legacy: 'http://127.0.0.1:1' }, '--legacy and --candidate go with --direct'],
    ] as Array<[ReplayFlags, string]>) {
      const r = await replay([file], flags);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('replay building blocks', () => {
  it('token bucket: reservations are spaced 1/rate apart after the burst', () => {
    let now = 0;
    const bucket = createRateLimiter(10, 2, () => now);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100, 200]);
    now = 1_000;
    expect(bucket.reserve()).toBe(0);
    expect(createRateLimiter(0).reserve()).toBe(0);
  });

  it('groups unsliced requests by a route-like key', () => {
    expect(routeKey('GET', '/api/v2/tickets/123.json?x=1')).toBe('GET /api/v2/tickets/:id.json');
    expect(routeKey('PUT', '/orders/5f3a9c1d2b/items/7')).toBe('PUT /orders/:id/items/:id');
    expect(routeKey('GET', '/api/v2/users/me')).toBe('GET /api/v2/users/me');
  });

  it('waits until the count stops growing, bounded', async () => {
    let n = 0;
    let calls = 0;
    const started = performance.now();
    const total = await waitForComparisons(async () => {
      calls++;
      if (calls <= 4) n++;
      return n;
    }, 5_000);
    expect(total).toBe(4);
    // Stable for SETTLE_MS (1 s) after the last change, not the whole 5 s.
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(3_000);
    const bounded = performance.now();
    let m = 0;
    expect(await waitForComparisons(async () => ++m, 600)).toBeGreaterThan(1);
    expect(performance.now() - bounded).toBeLessThan(1_200);
  });
});
