import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSince, runDiffs } from '../../src/cli/diffs.js';
import type { DiffRecord } from '../../src/shadow/types.js';
import { runCli } from '../helpers/cli.js';
import {
  type AdminStub,
  BLOCKED_TOKEN,
  capture,
  diff,
  fixtureNoise,
  fixtureRecords,
  makeRecord,
  type StubOptions,
  startAdminStub,
  TOKEN,
} from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-diffs-'));
const stubs: AdminStub[] = [];
afterEach(async () => {
  for (const s of stubs.splice(0)) await s.close();
});

async function stub(opts: StubOptions = { records: fixtureRecords(), noise: fixtureNoise() }) {
  const s = await startAdminStub(opts);
  stubs.push(s);
  return s;
}

async function diffs(
  flags: Parameters<typeof runDiffs>[1],
  env: Record<string, string> = {},
  positionals: string[] = [],
) {
  const c = capture();
  const code = await runDiffs(positionals, flags, env, c.out, c.err);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** The table row (text line) that contains every one of `cells`. */
const row = (text: string, ...cells: string[]) =>
  text.split('\n').find((l) => cells.every((c) => l.split('│').some((cell) => cell.trim() === c)));

describe('gateway diffs: table', () => {
  it('prints one row per slice × result class with counts, shares and the mismatch rate', async () => {
    const s = await stub();
    const r = await diffs({ admin: s.url, token: TOKEN });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Shadow diffs: 6 records');
    // tickets.get: match 1, value_mismatch 2, candidate_timeout 1 → mismatch rate 2 / (4 − 1).
    expect(row(r.stdout, 'tickets.get', 'match', '1', '25.0%', '66.7%')).toBeDefined();
    expect(row(r.stdout, 'value_mismatch', '2', '50.0%')).toBeDefined();
    expect(row(r.stdout, 'candidate_timeout', '1', '25.0%')).toBeDefined();
    expect(row(r.stdout, 'users.get', 'match', '1', '50.0%', '50.0%')).toBeDefined();
    expect(row(r.stdout, 'schema_error', '1', '50.0%')).toBeDefined();
    // No row for a class without records.
    expect(row(r.stdout, 'mapping_gap')).toBeUndefined();
  });

  it('lists the top differing fields per slice, and noise apart from them', async () => {
    const s = await stub();
    const r = await diffs({ admin: s.url, token: TOKEN });
    const [fields, noise] = r.stdout.split('Noise path (not counted)');
    expect(row(fields as string, 'tickets.get', 'status', '2')).toBeDefined();
    expect(row(fields as string, 'tickets.get', 'tags', '1')).toBeDefined();
    expect(fields).not.toContain('updatedAt');
    // Seen as noise in 2 records; learned from 40 of 40 legacy/legacy comparisons.
    expect(row(noise as string, 'tickets.get', 'updatedAt', '2', 'learned', '40/40')).toBeDefined();
    // Accepted by QA (not seen in these records): shown with the decision; a path still learning is not noise.
    const accepted = row(noise as string, 'users.get', 'lastLoginAt', '0', 'accepted', '9/10');
    expect(accepted).toContain('login times differ by design');
    expect(accepted).toContain('qa-anna');
    expect(noise).not.toMatch(/│ id\s/);
  });

  it('sends the filters to the admin API and shows what they select', async () => {
    const s = await stub();
    const before = Date.now();
    const r = await diffs({ admin: s.url, token: TOKEN, slice: 'tickets.get', result: 'value_mismatch', since: '10m' });
    expect(r.code).toBe(0);
    const q = s.requests.find((x) => x.path === '/admin/diffs/summary')?.query;
    expect(q).toMatchObject({ slice: 'tickets.get', result: 'value_mismatch' });
    const since = Date.parse(q?.since ?? '');
    expect(since).toBeGreaterThanOrEqual(before - 600_000 - 1000);
    expect(since).toBeLessThanOrEqual(Date.now() - 600_000 + 1000);
    expect(s.requests.find((x) => x.path === '/admin/noise')?.query).toEqual({ slice: 'tickets.get' });
    expect(r.stdout).toContain('Shadow diffs: 2 records');
    expect(row(r.stdout, 'users.get')).toBeUndefined();
    expect(s.requests.every((x) => x.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('takes the admin URL and token from GATEWAY_ADMIN_URL / GATEWAY_ADMIN_TOKEN', async () => {
    const s = await stub();
    const r = await diffs({}, { GATEWAY_ADMIN_URL: s.url, GATEWAY_ADMIN_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    expect(s.requests.length).toBeGreaterThan(0);
    // The flag wins over the environment.
    const bad = await diffs({ token: 'wrong' }, { GATEWAY_ADMIN_URL: s.url, GATEWAY_ADMIN_TOKEN: TOKEN });
    expect(bad.code).toBe(1);
  });

  it('lists records with --records, following cursors up to --limit', async () => {
    const records = Array.from({ length: 7 }, (_, i) =>
      makeRecord({ slice: 'orders.get', result: 'match', id: `o${i}` }),
    );
    const s = await stub({ records, maxPage: 2 });
    const r = await diffs({ admin: s.url, token: TOKEN, records: true, limit: '5' });
    expect(r.code).toBe(0);
    for (const id of ['o0', 'o1', 'o2', 'o3', 'o4']) expect(row(r.stdout, id)).toBeDefined();
    expect(row(r.stdout, 'o5')).toBeUndefined();
    expect(r.stdout).toContain('more records match');
    expect(s.requests.filter((x) => x.path === '/admin/diffs').length).toBe(3);
  });
});

describe('gateway diffs: JSON', () => {
  it('prints the summary and noise; records only with --records', async () => {
    const s = await stub();
    const plain = JSON.parse((await diffs({ admin: s.url, token: TOKEN, json: true })).stdout);
    expect(plain.summary.total).toBe(6);
    expect(plain.summary.slices.map((x: { slice: string }) => x.slice).sort()).toEqual(['tickets.get', 'users.get']);
    expect(plain.noise).toHaveLength(3);
    expect(plain.records).toBeUndefined();
    expect(s.requests.some((x) => x.path === '/admin/diffs')).toBe(false);

    const withRecords = JSON.parse((await diffs({ admin: s.url, token: TOKEN, json: true, records: true })).stdout);
    expect(withRecords.records.map((x: DiffRecord) => x.id)).toEqual(s.records.map((x) => x.id));
    expect(withRecords.recordsTruncated).toBe(false);
  });
});

describe('gateway diffs: HTML', () => {
  const hostile = '</pre><script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  const hostileRecords = () => [
    ...fixtureRecords(),
    makeRecord({
      slice: `evil"><script>window.pwned=3</script>`,
      result: 'value_mismatch',
      path: '/api/v2/tickets/1.json?q=<script>alert(1)</script>',
      fields: [diff('subject', hostile, 'safe <b>bold</b>', { comparator: 'text', score: 0.42 })],
      noise: [diff('updatedAt', 'x', 'y', { noise: 'accepted' })],
      legacy: { status: 200, body: { subject: hostile, link: 'https://evil.example/x.js' } },
      candidate: { status: 200, body: { subject: 'ok' }, durationMs: 7 },
      error: "'; alert(1); '",
    }),
  ];

  it('writes one self-contained file: inline CSS, no external URL, records and diffs side by side', async () => {
    const s = await stub({ records: hostileRecords(), noise: fixtureNoise() });
    const file = join(dir, 'report.html');
    const r = await diffs({ admin: s.url, token: TOKEN, html: file });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`wrote ${file} (7 records)`);
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    // Nothing loaded from elsewhere: no src/href to a URL, no stylesheet link, no CSS import or url().
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|@import|url\(/i);
    // Every record is there with both sides and its field-level diff.
    for (const rec of s.records) expect(html).toContain(`id="rec-${rec.id}"`);
    const article = html.slice(html.indexOf(`id="rec-${s.records[6]?.id}"`));
    expect(article).toMatch(
      /<th>Path<\/th><th>Kind<\/th><th>Legacy<\/th><th>Candidate<\/th><th>Comparator<\/th><th>Score<\/th><th>Noise<\/th>/,
    );
    expect(article).toMatch(/<td>subject<\/td><td>changed<\/td>.*<td>text<\/td><td class="n">0.42<\/td>/s);
    expect(article).toMatch(/<tr class="noise"><td>updatedAt<\/td>.*noise: accepted/s);
    expect(article).toMatch(/<h3>Legacy <span class="meta">status 200<\/span><\/h3>/);
    expect(article).toMatch(/<h3>Candidate <span class="meta">status 200 · 7 ms<\/span><\/h3>/);
    // Summary and noise sections, with the numbers of the records.
    expect(html).toMatch(/<td rowspan="3">tickets.get<\/td><td class="r-match">match<\/td><td class="n">1<\/td>/);
  });

  it('escapes hostile record values: the only script is the report’s own, allowed by hash', async () => {
    const s = await stub({ records: hostileRecords(), noise: fixtureNoise() });
    const file = join(dir, 'hostile.html');
    expect((await diffs({ admin: s.url, token: TOKEN, html: file })).code).toBe(0);
    const html = readFileSync(file, 'utf8');
    const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).not.toContain('pwned');
    expect(html).not.toMatch(/<img\b/i);
    expect(html).not.toMatch(/<b>bold/);
    // No tag carries an event-handler attribute (the text `onerror=` may appear, escaped, inside an element).
    expect(html).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i);
    // The values are shown, as text.
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;');
    expect(html).toContain('evil&quot;&gt;&lt;script&gt;window.pwned=3&lt;/script&gt;');
    expect(html).toContain('data-slice="evil&quot;&gt;&lt;script&gt;');
    expect(html).toContain('&#39;; alert(1); &#39;');
    // CSP: nothing loads, and only the inline script and style with these exact hashes may run.
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(scripts[0]?.[1] ?? '')}`);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(csp).toContain(`style-src ${hash(style)}`);
  });
});

describe('gateway diffs: errors and exit codes', () => {
  it('unreachable admin port: exit 1 and says what to check', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const r = await diffs({ admin: `http://127.0.0.1:${port}`, token: TOKEN });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot reach the admin API at http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('connection refused');
    expect(r.stderr).toContain('admin port');
  });

  it('a silent admin port: exit 1 after --timeout', async () => {
    const s = await stub({ records: [], delayMs: 2_000 });
    const started = Date.now();
    const r = await diffs({ admin: s.url, token: TOKEN, timeout: '300' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('401: exit 1, names the token to pass', async () => {
    const s = await stub();
    const r = await diffs({ admin: s.url, token: 'not-a-known-token' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused the token (401');
    expect(r.stderr).toContain('GATEWAY_ADMIN_TOKEN');
    expect(r.stdout).toBe('');
  });

  it('403: exit 1, names the roles that may read', async () => {
    const s = await stub();
    const r = await diffs({ admin: s.url, token: BLOCKED_TOKEN });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('403 role auditor may not read');
    expect(r.stderr).toContain('viewer, qa, migration-lead, sre, admin');
  });

  it('bad filter values: exit 2 before any request', async () => {
    const s = await stub();
    const cases: Array<[Parameters<typeof runDiffs>[1], string]> = [
      [{ result: 'mismatch' }, '--result must be one of match, value_mismatch'],
      [{ since: 'yesterday' }, '--since must be an ISO timestamp'],
      [{ limit: '0' }, '--limit must be an integer 1-10000'],
      [{ limit: '5x' }, '--limit must be an integer'],
      [{ admin: 'ftp://127.0.0.1:1' }, '--admin must be an http(s) URL'],
      [{ slice: '   ' }, '--slice must be 1-200 characters'],
    ];
    for (const [flags, message] of cases) {
      const r = await diffs({ admin: s.url, token: TOKEN, ...flags });
      expect(r.code, message).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const noToken = await diffs({ admin: s.url });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('no admin token: pass --token or set GATEWAY_ADMIN_TOKEN');
    const positional = await diffs({ admin: s.url, token: TOKEN }, {}, ['tickets.get']);
    expect(positional.code).toBe(2);
    expect(s.requests).toHaveLength(0);
  });

  it('a filter the gateway rejects (400): exit 2 with its detail', async () => {
    const s = await stub();
    const r = await diffs({ admin: s.url, token: TOKEN, since: '2999-01-01T00:00:00Z' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rejected the filters: since: must be an ISO timestamp, not in the future');
  });

  it('a port that is not the admin API (404): exit 1', async () => {
    const s = await stub();
    const r = await diffs({ admin: `${s.url}/elsewhere`, token: TOKEN });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no \/elsewhere\/admin\/(diffs\/summary|noise)/);
  });

  it('parses --since durations and timestamps', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(parseSince('10m', now)).toBe('2024-05-01T11:50:00.000Z');
    expect(parseSince('2h', now)).toBe('2024-05-01T10:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2024-04-24T12:00:00.000Z');
    expect(parseSince('2024-04-30T08:00:00+02:00', now)).toBe('2024-04-30T06:00:00.000Z');
    expect(() => parseSince('10 minutes', now)).toThrow(/--since/);
  });
});

describe('gateway diffs: the real CLI', () => {
  const outFile = join(dir, 'cli.html');
  afterAll(() => undefined);

  it('node dist/src/main.js diffs: JSON on stdout, exit 0; HTML file; exit 2 on a bad filter', async () => {
    const s = await stub();
    const p = runCli(['diffs', '--json', '--records', '--html', outFile], {
      env: { GATEWAY_ADMIN_URL: s.url, GATEWAY_ADMIN_TOKEN: TOKEN },
    });
    expect((await p.exited).code).toBe(0);
    const doc = JSON.parse(p.stdout());
    expect(doc.summary.total).toBe(6);
    expect(doc.records).toHaveLength(6);
    expect(readFileSync(outFile, 'utf8')).toContain('id="rec-');
    const bad = runCli(['diffs', '--result', 'nope', '--admin', s.url, '--token', TOKEN]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain('--result must be one of');
    const help = runCli(['--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.stdout()).toContain('replay <file.jsonl|file.har>');
  });
});
