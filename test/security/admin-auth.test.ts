/**
 * The admin API under hostile credentials: no token, wrong tokens, malformed Authorization headers, tokens of roles
 * lacking the permission. Every refusal is a problem document, nothing changes, and every `/admin` route (including
 * ones added later) is covered because the route list is read from the app itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/admin/auth.js';
import { buildApp } from '../../src/app.js';
import { closeDeps, composeDeps } from '../../src/compose.js';
import type { Role } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import { ADMIN_TOKEN, type Stack, startStack, VIEWER_TOKEN } from '../helpers/stack.js';
import { exchange } from './wire.js';

const TOKENS: Record<Role, string> = {
  viewer: VIEWER_TOKEN,
  qa: 'test-qa-token-0123456789abcdef',
  'migration-lead': 'test-lead-token-0123456789abcd',
  sre: 'test-sre-token-0123456789abcdef',
  admin: ADMIN_TOKEN,
};
const tokens = (Object.entries(TOKENS) as [Role, string][]).map(([role, token]) => ({
  token,
  role,
  name: `t-${role}`,
}));

let s: Stack;
beforeAll(async () => {
  s = await startStack({ overrides: { admin: { tokens } } });
});
afterAll(async () => {
  await s?.close();
});

async function call(path: string, authorization: string | null, method = 'GET', body?: string) {
  const headers: Record<string, string> = {};
  if (authorization !== null) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${s.gw.adminUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text };
}

describe('authentication', () => {
  const malformed: [string, string | null][] = [
    ['no header', null],
    ['empty', ''],
    ['scheme only', 'Bearer'],
    ['scheme and spaces', 'Bearer    '],
    ['another scheme', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
    ['a bare token', ADMIN_TOKEN],
    ['Token scheme', `Token ${ADMIN_TOKEN}`],
    ['a token one character short', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ['a token one character long', `Bearer ${ADMIN_TOKEN}x`],
    ['a token in upper case', `Bearer ${ADMIN_TOKEN.toUpperCase()}`],
    ['two tokens in one header', `Bearer ${VIEWER_TOKEN}, Bearer ${ADMIN_TOKEN}`],
    ['a 10 KiB token', `Bearer ${'A'.repeat(10_240)}`],
    ['non-ASCII bytes', `Bearer ${ADMIN_TOKEN}\u00e9`],
  ];
  it.each(malformed)('%s → 401 problem', async (_name, authorization) => {
    const r = await call('/admin/slices', authorization);
    expect(r.status).toBe(401);
    expect(r.type).toContain('application/problem+json');
    expect(JSON.parse(r.body)).toMatchObject({ code: 'GW_UNAUTHORIZED' });
    // The refusal says nothing about the configured tokens or roles.
    expect(r.body).not.toMatch(/test-|viewer|admin/i);
  });

  it('a token in the query string or a cookie is not a credential', async () => {
    expect((await call(`/admin/slices?access_token=${ADMIN_TOKEN}`, null)).status).toBe(401);
    const res = await fetch(`${s.gw.adminUrl}/admin/slices`, { headers: { cookie: `token=${ADMIN_TOKEN}` } });
    expect(res.status).toBe(401);
  });

  it('a second Authorization header cannot lift a viewer to a pin', async () => {
    const body = '{"note":"dup"}';
    const u = new URL(s.gw.adminUrl);
    const ex = await exchange(
      `http://${u.host}`,
      `POST /admin/slices/tickets.get/pin HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${VIEWER_TOKEN}\r\n` +
        `Authorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(ex.responses[0]?.status).toBe(403);
    expect(s.gw.deps.state.getPin('tickets.get')).toBeUndefined();
  });
});

describe('authorisation by role', () => {
  it.each(Object.keys(TOKENS) as Role[])(
    '%s may pin only if PERMISSIONS.pin lists it; reading is open to it',
    async (role) => {
      const may = (PERMISSIONS.pin as readonly Role[]).includes(role);
      expect((await call('/admin/slices', `Bearer ${TOKENS[role]}`)).status).toBe(200);
      const pin = await call('/admin/slices/tickets.get/pin', `Bearer ${TOKENS[role]}`, 'POST', '{"note":"sec"}');
      expect(pin.status, pin.body).toBe(may ? 200 : 403);
      expect(s.gw.deps.state.getPin('tickets.get') !== undefined).toBe(may);
      if (!may) expect(JSON.parse(pin.body)).toMatchObject({ code: 'GW_FORBIDDEN' });
      const unpin = await call('/admin/slices/tickets.get/unpin', `Bearer ${TOKENS[role]}`, 'POST', '{"note":"sec"}');
      expect(unpin.status).toBe(may ? 200 : 403);
      expect(s.gw.deps.state.getPin('tickets.get')).toBeUndefined();
    },
  );

  it('the audit log records who pinned, never a refused attempt', async () => {
    const { entries } = JSON.parse((await call('/admin/audit', `Bearer ${ADMIN_TOKEN}`)).body) as {
      entries: { actor: string; action: string }[];
    };
    const actors = new Set(entries.map((e) => e.actor));
    for (const role of Object.keys(TOKENS) as Role[]) {
      expect(actors.has(`t-${role}`), role).toBe((PERMISSIONS.pin as readonly Role[]).includes(role));
    }
  });
});

describe('every /admin route', () => {
  it('refuses a request without a token or with a wrong one (route list read from the app)', async () => {
    const config = loadConfig({
      env: {},
      overrides: { port: 0, adminPort: 0, log: { level: 'silent' }, legacy: { url: s.sim.url }, admin: { tokens } },
    });
    const deps = composeDeps(config);
    const app = buildApp(deps);
    try {
      await app.admin.ready();
      const routes = adminRoutes(app.admin.printRoutes({ commonPrefix: false }));
      expect(routes.length).toBeGreaterThanOrEqual(5);
      for (const { method, path } of routes) {
        const url = path.replace(/:id\b/g, 'tickets.get').replace(/:(\w+)/g, 'x');
        for (const authorization of [undefined, 'Bearer wrong-token-wrong-token']) {
          const r = await app.admin.inject({
            method: method as 'GET',
            url,
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            ...(method === 'GET' ? {} : { payload: '{}' }),
          });
          expect(r.statusCode, `${method} ${url}`).toBe(401);
        }
      }
    } finally {
      await app.admin.close();
      await closeDeps(deps);
    }
  });
});

/** Routes under /admin from fastify's route tree (`printRoutes({ commonPrefix: false })`), HEAD left out. */
function adminRoutes(tree: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at === -1) continue;
    const depth = Math.floor(at / 4);
    const m = /^(\S+) \(([^)]*)\)/.exec(line.slice(at + 3));
    if (!m) continue;
    stack.length = depth;
    const path = `${stack[depth - 1] ?? ''}${m[1]}`;
    stack[depth] = path;
    if (!path.startsWith('/admin')) continue;
    for (const method of (m[2] as string).split(', '))
      if (method !== 'HEAD' && method !== '-') out.push({ method, path });
  }
  return out;
}
