import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { ROUTE_TABLE } from '../../routes/table.js';
import type { NewHandler, RouteSpec } from '../../routes/types.js';
import { CONSOLE_CSP, consoleAssetDir } from '../../src/admin/console.js';
import { alteredSubject, type StampingLegacy, startStampingLegacy } from '../helpers/noise.js';
import { ADMIN_TOKEN, type Stack, startStack, VIEWER_TOKEN } from '../helpers/stack.js';

/**
 * The admin console in a real browser (Debian chromium driven by playwright-core) against a real stack: a legacy that
 * stamps `updated_at` anew on every answer (learned noise), `tickets.get` in shadow with a candidate that changes the
 * subject of tickets ≥ 100 (real mismatches), `users.get` served by a new path that always fails (fallbacks, breaker,
 * automatic pin-back), and `tickets.search` pinned by hand. Each role signs in with its own token and sees what it
 * must; a full-page screenshot of every view lands in test-results/console/<role>-<view>.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const OUT = join('test-results', 'console');
const TOKENS = {
  viewer: VIEWER_TOKEN,
  qa: 'test-qa-token-0123456789abc',
  'migration-lead': 'test-lead-token-0123456789ab',
  sre: 'test-sre-token-0123456789abcd',
  admin: ADMIN_TOKEN,
} as const;
type RoleName = keyof typeof TOKENS;
const NAMES: Record<RoleName, string> = {
  viewer: 'test-viewer',
  qa: 'test-qa',
  'migration-lead': 'test-lead',
  sre: 'test-sre',
  admin: 'test-admin',
};
const HOSTILE_NOTE = 'Search stays on legacy <img src=x onerror=alert(1)> until INC-42';

const ticketsGet = ROUTE_TABLE.find((r) => r.slice === 'tickets.get') as RouteSpec;
const notReady: NewHandler = async () => {
  throw new Error('users.get new path is not implemented yet');
};
const ROUTES: RouteSpec[] = [
  { ...ticketsGet, handler: alteredSubject },
  {
    ...ticketsGet,
    id: 'users.get',
    slice: 'users.get',
    paths: ['/api/v2/users/:id(^\\d{1,18})', '/api/v2/users/:id(^\\d{1,18}).json'],
    handler: notReady,
    comparison: undefined,
    description: 'Read one agent (new path not ready yet).',
  } as RouteSpec,
  {
    ...ticketsGet,
    id: 'tickets.search',
    slice: 'tickets.search',
    paths: ['/api/v2/tickets'],
    handler: notReady,
    comparison: undefined,
    description: 'Ticket search (not started).',
  } as RouteSpec,
];

let sim: Simulator;
let upstream: StampingLegacy | undefined;
let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];
let adminUrl = '';

async function adminApi<T>(path: string, init: { method?: 'GET' | 'POST'; body?: unknown; token?: string } = {}) {
  const res = await request(`${adminUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.token ?? ADMIN_TOKEN}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.statusCode, json: (await res.body.json()) as T };
}

async function read(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${stack.gw.publicUrl}${path}`, { headers });
  await res.body.text();
  await stack.gw.deps.shadow.drain();
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the console browser tests need it. Install it with ` +
        '`bash scripts/test-setup.sh` (adds the Debian package "chromium") or `sudo apt-get install chromium`.',
    );
  }
  mkdirSync(OUT, { recursive: true });
  const launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

  sim = await startSimulator({ port: 0 });
  // A legacy that stamps updated_at anew on every ticket answer: the gateway learns it as noise.
  upstream = await startStampingLegacy(sim.url);
  stack = await startStack({
    routes: ROUTES,
    overrides: {
      legacy: { url: upstream.url },
      admin: {
        tokens: (Object.keys(TOKENS) as RoleName[]).map((role) => ({ token: TOKENS[role], role, name: NAMES[role] })),
      },
      // The candidate reads legacy itself (no primed reads), so the stamping legacy gives its records noise to show.
      shadow: { primedReads: false, noise: { secondary: true, warmup: 1_000, minSamples: 5, minRate: 0.2 } },
      rollback: { evaluateEveryMs: 200, slices: { 'users.get': { minRequests: 10 } } },
    },
  });
  adminUrl = stack.gw.adminUrl;

  stack.shadow('tickets.get', true);
  stack.serve('users.get', 100);
  await stack.waitFor(
    () =>
      stack.gw.deps.flags.slice('tickets.get').stage === 'shadow' &&
      stack.gw.deps.flags.slice('users.get').stage === 'live',
  );
  // 25 matching reads (noise learned on updatedAt) and 6 real mismatches on subject, from two tenants.
  for (let id = 1; id <= 25; id++) {
    await read(`/api/v2/tickets/${id}.json`, { 'x-tenant-id': id % 2 ? 'acme' : 'globex', 'x-channel': 'web' });
  }
  for (let id = 101; id <= 106; id++) {
    await read(`/api/v2/tickets/${id}.json`, { 'x-tenant-id': 'acme', 'x-channel': 'voice' });
  }
  // users.get: every new-path attempt fails and falls back; the pin-back rule pins the slice.
  for (let i = 1; i <= 30; i++) await read(`/api/v2/users/${(i % 5) + 1}.json`);
  await stack.waitFor(() => stack.gw.deps.state.getPin('users.get')?.reason === 'auto_rollback', 8_000);
  const pinned = await adminApi('/admin/slices/tickets.search/pin', { method: 'POST', body: { note: HOSTILE_NOTE } });
  expect(pinned.status).toBe(200);
  browser = await launching;
}, 40_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.close();
  await sim?.close();
  await upstream?.close();
});

interface Opened {
  page: Page;
  /** Uncaught page errors and CSP violations (none are acceptable). */
  problems: string[];
}

async function open(opts: { clock?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(5_000);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  if (opts.clock) await page.clock.install();
  await page.goto(`${adminUrl}/console`);
  return { page, problems };
}

async function signIn(page: Page, role: RoleName) {
  await page.fill('#token', TOKENS[role]);
  await page.click('#login-form button[type=submit]');
  await page.locator('#who').getByText(NAMES[role]).waitFor();
}

const view = (page: Page, id: string) => page.locator(`main [data-view="${id}"]`);

async function goto(page: Page, id: string) {
  await page.click(`#tabs a[data-view="${id}"]`);
  await view(page, id).waitFor({ state: 'visible' });
}

/** One attribute of every element a locator matches, in order. */
async function attrs(locator: Locator, name: string): Promise<Array<string | null>> {
  return Promise.all((await locator.all()).map((l) => l.getAttribute(name)));
}

async function shot(page: Page, role: string, name: string) {
  // From the top, so the sticky header is not painted over the middle of a full-page capture.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(OUT, `${role}-${name}.png`), fullPage: true });
}

describe('admin console (chromium)', () => {
  it('serves the page shell with a strict CSP and no data until a token is given', async () => {
    const res = await request(`${adminUrl}/console`);
    const html = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from the network
    const js = await request(`${adminUrl}/console/console.js`);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    await js.body.text();
    const slash = await request(`${adminUrl}/console/`);
    expect([slash.statusCode, slash.headers.location]).toEqual([301, '../console']);
    await slash.body.text();
    // tsc does not copy the assets: compiled code (dist/src/admin) finds them under the package root's src/.
    const root = join(import.meta.dirname, '..', '..');
    expect(consoleAssetDir(join(root, 'dist', 'src', 'admin'))).toBe(join(root, 'src', 'admin', 'console'));
    const missing = await request(`${adminUrl}/console/nope.js`);
    expect(missing.statusCode).toBe(404);
    await missing.body.text();

    const { page, problems } = await open();
    const apiCalls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/admin/')) apiCalls.push(r.url());
    });
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#tabs').isHidden()).toBe(true);
    await page.fill('#token', 'not-a-real-token-at-all');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error').getByText('not accepted').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(apiCalls.every((u) => u.endsWith('/admin/whoami'))).toBe(true);
    await shot(page, 'anonymous', 'login');
    expect(problems).toEqual([]);
  });

  it('viewer: reads the rollout view, has no working pin control, and a forced pin is refused with a clear 403', async () => {
    const { page, problems } = await open();
    await signIn(page, 'viewer');
    const rollout = view(page, 'rollout');
    await rollout.locator('tr[data-slice="tickets.get"]').waitFor();
    const tickets = rollout.locator('tr[data-slice="tickets.get"]');
    expect(await tickets.locator('.badge').first().textContent()).toBe('shadow');
    // Too little traffic for the rule: inconclusive, shown as such (neutral, never green).
    const verdict = tickets.locator('.health .badge');
    expect(await verdict.textContent()).toBe('inconclusive');
    expect(await verdict.getAttribute('class')).not.toContain('ok');
    expect(await tickets.textContent()).toContain('too little traffic');
    const users = rollout.locator('tr[data-slice="users.get"]');
    expect(await users.textContent()).toContain('auto rollback');
    expect(await users.textContent()).toContain('100 %'); // serve rollout
    // The pin note is untrusted: shown as text, never as markup.
    const search = rollout.locator('tr[data-slice="tickets.search"]');
    expect(await search.locator('q.note').textContent()).toBe(HOSTILE_NOTE);
    expect(await search.locator('img').count()).toBe(0);
    const buttons = rollout.locator('button.pin-action');
    const { json: all } = await adminApi<{ slices: unknown[] }>('/admin/slices', { token: VIEWER_TOKEN });
    expect(await buttons.count()).toBe(all.slices.length);
    for (const b of await buttons.all()) expect(await b.isDisabled()).toBe(true);
    await shot(page, 'viewer', 'rollout');

    // Forced: enable the button in the DOM and submit; the server refuses and the page says so.
    const forced = rollout.locator('button.pin-action[data-slice="tickets.get"]');
    await forced.evaluate((b: { removeAttribute(name: string): void }) => b.removeAttribute('disabled'));
    await forced.click();
    await page.fill('dialog textarea', 'viewer tries anyway');
    await page.click('dialog button[type=submit]');
    const refusal = page.locator('dialog .error');
    await refusal.waitFor({ state: 'visible' });
    expect(await refusal.textContent()).toBe('Not allowed for your role (403): role viewer may not pin');
    expect(await page.locator('#notice').textContent()).toContain('refused');
    expect(stack.gw.deps.state.getPin('tickets.get')).toBeUndefined();
    await shot(page, 'viewer', 'pin-forbidden');
    await page.click('dialog button[type=button]');

    await goto(page, 'audit');
    await view(page, 'audit').locator('tr[data-action="pin"]').first().waitFor();
    await shot(page, 'viewer', 'audit');

    await page.click('#sign-out');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(await page.locator('main [data-view]').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('migration lead: unpins and pins with a required reason; both are audited', async () => {
    const { page, problems } = await open();
    await signIn(page, 'migration-lead');
    const rollout = view(page, 'rollout');
    const search = rollout.locator('tr[data-slice="tickets.search"]');
    await search.waitFor();
    await search.locator('button.pin-action').click();
    expect(await page.locator('dialog h2').textContent()).toBe('Unpin tickets.search');
    // An empty reason is not sent.
    await page.click('dialog button[type=submit]');
    expect(await page.locator('dialog').isVisible()).toBe(true);
    expect(stack.gw.deps.state.getPin('tickets.search')).toBeDefined();
    await page.fill('dialog textarea', 'search rewrite merged, back to flags');
    await page.click('dialog button[type=submit]');
    await search.getByText('not pinned').waitFor();
    expect(stack.gw.deps.state.getPin('tickets.search')).toBeUndefined();

    await search.locator('button.pin-action').click();
    await page.fill('dialog textarea', 'INC-4711 legacy index rebuild, hold search');
    await shot(page, 'migration-lead', 'pin-dialog');
    await page.click('dialog button[type=submit]');
    await search.locator('q.note').getByText('INC-4711').waitFor();
    expect(stack.gw.deps.state.getPin('tickets.search')).toMatchObject({ reason: 'manual', by: 'test-lead' });
    expect(await search.textContent()).toContain('test-lead');
    await shot(page, 'migration-lead', 'rollout');

    await goto(page, 'audit');
    const audit = view(page, 'audit');
    await audit.getByText('INC-4711 legacy index rebuild').waitFor();
    expect(await audit.getByText('search rewrite merged, back to flags').count()).toBe(1);
    await shot(page, 'migration-lead', 'audit');
    expect(problems).toEqual([]);
  });

  it('qa: summary, filtered and paginated records, one record side by side with noise apart, noise decisions', async () => {
    const { page, problems } = await open();
    await signIn(page, 'qa');
    const qa = view(page, 'qa');
    expect(await qa.isVisible()).toBe(true); // QA lands on its own view
    const summary = qa.locator('tr[data-slice="tickets.get"]').first();
    await summary.waitFor();
    const summaryText = await summary.textContent();
    expect(summaryText).toContain('31'); // total
    expect(summaryText).toContain('subject ×6');
    expect(summaryText).toContain('updatedAt');
    const api = await adminApi<{ slices: Array<{ slice: string; mismatchRate: number }> }>('/admin/diffs/summary');
    const rate = api.json.slices.find((s) => s.slice === 'tickets.get')?.mismatchRate ?? -1;
    expect(summaryText).toContain(`${(rate * 100).toFixed(1).replace(/\.0$/, '')} %`);
    await shot(page, 'qa', 'qa');

    // Cursor pagination: 31 records, 20 per page.
    const rows = qa.locator('table.records tbody tr[data-id]');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(20);
    const firstPage = await attrs(rows, 'data-id');
    await qa.locator('button.next-page').click();
    await qa.getByText('page 2 · 11 records').waitFor();
    const secondPage = await attrs(rows, 'data-id');
    expect(secondPage).toHaveLength(11);
    expect(secondPage.filter((id) => firstPage.includes(id))).toEqual([]);

    // Filters: result class and field.
    await qa.locator('select[name=result]').selectOption('value_mismatch');
    await qa.locator('input[name=field]').fill('subject');
    await qa.locator('form.filters button[type=submit]').click();
    await qa.getByText('page 1 · 6 records').waitFor();
    const results = await attrs(rows, 'data-result');
    expect(results).toEqual(Array(6).fill('value_mismatch'));

    await rows.first().locator('button.open-record').click();
    const record = page.locator('#qa-record');
    await record.locator('.sides').waitFor();
    const [legacySide, candidateSide] = await record.locator('.side pre').allTextContents();
    // Bodies are the contract value when the slice maps one, else the wire JSON ({ ticket }).
    const subjectOf = (text: string | undefined) => {
      const json = JSON.parse(text ?? '{}') as { subject?: string; ticket?: { subject?: string } };
      return json.ticket?.subject ?? json.subject;
    };
    // (Free text may be masked in stored records; the two sides still differ, as the diff table says.)
    const legacySubject = subjectOf(legacySide);
    const candidateSubject = subjectOf(candidateSide);
    expect(legacySubject).toEqual(expect.any(String));
    expect(candidateSubject).toEqual(expect.any(String));
    expect(candidateSubject).not.toBe(legacySubject);
    // The differing key is marked in both bodies.
    const marked = await record.locator('.side pre .diff-mark').allTextContents();
    expect(marked).toHaveLength(2);
    expect(marked.every((line) => line.trimStart().startsWith('"subject":'))).toBe(true);
    const diffRows = record.locator('table.diffs:not(.noise) tbody tr[data-path]');
    expect(await diffRows.count()).toBe(1);
    expect(await diffRows.first().getAttribute('data-path')).toBe('subject');
    const diffCells = await diffRows.first().locator('td').allTextContents();
    expect(diffCells.slice(0, 4)).toEqual([
      'subject',
      'changed',
      JSON.stringify(legacySubject),
      JSON.stringify(candidateSubject),
    ]);
    const noiseRows = record.locator('table.diffs.noise tbody tr[data-path="updatedAt"]');
    expect(await noiseRows.locator('.badge').textContent()).toBe('learned');
    await shot(page, 'qa', 'record');

    // Learned noise: accept with reason and expiry; the table and the audit log say so.
    const noise = qa.locator('table.noise-table tr[data-path="updatedAt"]');
    expect(await noise.getAttribute('data-status')).toBe('learned');
    await noise.locator('button.noise-accept').click();
    await page.fill('dialog textarea', 'legacy stamps updated_at on every read');
    const expiry = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    await page.fill('dialog input[type=date]', expiry);
    await page.click('dialog button[type=submit]');
    await qa.locator('table.noise-table tr[data-path="updatedAt"][data-status="accepted"]').waitFor();
    const accepted = (
      await adminApi<{ items: Array<{ path: string; status: string; expiresAt?: string }> }>('/admin/noise')
    ).json.items.find((e) => e.path === 'updatedAt');
    expect(accepted?.status).toBe('accepted');
    expect(accepted?.expiresAt?.slice(0, 10)).toBe(expiry);
    await qa.locator('table.noise-table').scrollIntoViewIfNeeded();
    await shot(page, 'qa', 'noise');

    await goto(page, 'audit');
    await view(page, 'audit').locator('tr[data-action="noise.accept"]').waitFor();
    await shot(page, 'qa', 'audit');
    expect(problems).toEqual([]);
  });

  it('sre: fallbacks by reason, breakers, provider and backend health, charts; refreshes every 5 s until paused', async () => {
    const { page, problems } = await open({ clock: true });
    let polls = 0;
    page.on('request', (r) => {
      if (r.url().includes('/admin/series')) polls++;
    });
    await signIn(page, 'sre');
    const sre = view(page, 'sre');
    const users = sre.locator('tr[data-slice="users.get"]');
    await users.waitFor();
    const stats = (
      await adminApi<{ slices: Array<{ id: string; breaker: { state: string }; requests: { fallbacks: object } }> }>(
        '/admin/slices',
      )
    ).json.slices.find((s) => s.id === 'users.get');
    expect(Object.keys(stats?.requests.fallbacks ?? {}).length).toBeGreaterThan(0);
    for (const reason of Object.keys(stats?.requests.fallbacks ?? {})) {
      await users.locator(`.chip[data-reason="${reason}"]`).waitFor();
    }
    expect(await users.textContent()).toContain('100 %'); // fallback rate
    expect(await users.locator('.badge').first().textContent()).toBe(stats?.breaker.state.replace('_', ' '));
    const cards = await sre.locator('.status-card').allTextContents();
    expect(cards[0]).toContain('up');
    expect(cards[0]).toContain('file');
    expect(cards[1]).toContain('memory');
    expect(cards[1]).toContain('healthy');
    expect(cards[2]).toContain('ready');
    const chart = sre.locator('.chart-row[data-slice="tickets.get"] figure[data-key="requests"]');
    expect(Number(await chart.getAttribute('data-total'))).toBeGreaterThanOrEqual(31);
    expect(await chart.locator('rect.bar').count()).toBe(60);
    const fallbacks = sre.locator('.chart-row[data-slice="users.get"] figure[data-key="fallbacks"]');
    expect(Number(await fallbacks.getAttribute('data-total'))).toBeGreaterThan(0);
    await shot(page, 'sre', 'sre');

    // Auto-refresh on a fake clock: one poll per 5 s, none while paused.
    const before = polls;
    await page.clock.runFor(5_100);
    await expect.poll(() => polls).toBe(before + 1);
    await page.click('#sre-pause');
    await page.clock.runFor(16_000);
    expect(polls).toBe(before + 1);
    await page.click('#sre-pause'); // resume: refreshes at once
    await expect.poll(() => polls).toBe(before + 2);

    await goto(page, 'rollout');
    await view(page, 'rollout').locator('tr[data-slice="users.get"]').waitFor();
    await shot(page, 'sre', 'rollout');
    await goto(page, 'audit');
    await view(page, 'audit').locator('tr[data-action]').first().waitFor();
    await shot(page, 'sre', 'audit');
    expect(problems).toEqual([]);
  });

  it('admin: every view, with pin and noise controls enabled', async () => {
    const { page, problems } = await open();
    await signIn(page, 'admin');
    const rollout = view(page, 'rollout');
    await rollout.locator('tr[data-slice="tickets.get"]').waitFor();
    for (const b of await rollout.locator('button.pin-action').all()) expect(await b.isEnabled()).toBe(true);
    await shot(page, 'admin', 'rollout');
    await goto(page, 'qa');
    await view(page, 'qa').locator('table.noise-table button.noise-reject').first().waitFor();
    await shot(page, 'admin', 'qa');
    await goto(page, 'sre');
    await view(page, 'sre').locator('.chart-row').first().waitFor();
    await shot(page, 'admin', 'sre');
    await goto(page, 'audit');
    await view(page, 'audit').locator('tr[data-action="noise.accept"]').waitFor();
    await shot(page, 'admin', 'audit');
    expect(problems).toEqual([]);
  });
});
