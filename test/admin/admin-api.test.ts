import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, get, type Stack, startStack, VIEWER_TOKEN } from '../helpers/stack.js';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
  s.serve('tickets.get', 100);
  await s.waitFor(async () => (await get(`${s.gw.publicUrl}/api/v2/tickets/1.json`)).servedBy === 'new');
});
afterAll(async () => {
  await s.close();
});

const admin = (path: string, init: RequestInit & { token?: string | null } = {}) => {
  const headers: Record<string, string> = { ...(init.body ? { 'content-type': 'application/json' } : {}) };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? ADMIN_TOKEN}`;
  return fetch(`${s.gw.adminUrl}${path}`, { ...init, headers });
};

describe('admin port', () => {
  it('serves health, readiness and metrics without a token', async () => {
    expect((await admin('/healthz', { token: null })).status).toBe(200);
    const ready = await admin('/readyz', { token: null });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: { flags: { ok: true }, legacy: { ok: true } },
    });
    const metrics = await (await admin('/metrics', { token: null })).text();
    for (const name of [
      'gateway_requests_total',
      'gateway_request_duration_seconds',
      'gateway_fallbacks_total',
      'gateway_breaker_state',
      'gateway_flag_provider_up',
      'gateway_flag_staleness_seconds',
    ]) {
      expect(metrics).toContain(`# TYPE ${name}`);
    }
    expect(metrics).toMatch(/^gateway_flag_provider_up 1$/m);
  });

  it('refuses the admin API without a token, with a wrong token, and mutations for a viewer', async () => {
    const none = await admin('/admin/slices', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
    expect(await none.json()).toMatchObject({ code: 'GW_UNAUTHORIZED' });
    expect((await admin('/admin/slices', { token: 'wrong-token-wrong-token' })).status).toBe(401);
    expect((await admin('/admin/slices', { token: VIEWER_TOKEN })).status).toBe(200);
    const pin = await admin('/admin/slices/tickets.get/pin', {
      method: 'POST',
      token: VIEWER_TOKEN,
      body: JSON.stringify({ note: 'x' }),
    });
    expect(pin.status).toBe(403);
    expect(await pin.json()).toMatchObject({ code: 'GW_FORBIDDEN' });
    expect(s.gw.deps.state.getPin('tickets.get')).toBeUndefined();
  });

  it('lists every slice with its stage, flags, pin, breaker and counters', async () => {
    const body = (await (await admin('/admin/slices')).json()) as {
      flags: { source: string; up: boolean };
      slices: Record<string, unknown>[];
    };
    expect(body.flags).toMatchObject({ source: 'file', up: true, usable: true, killSwitch: false });
    const slice = body.slices.find((x) => x.id === 'tickets.get');
    expect(slice).toMatchObject({
      stage: 'live',
      mode: 'live',
      pin: null,
      breaker: { state: 'closed' },
      flags: { serve: { name: 'gw.tickets.get.serve', enabled: true, rolloutPercent: 100 } },
    });
    expect((slice?.requests as { servedByNew: number } | undefined)?.servedByNew).toBeGreaterThan(0);
  });

  it('pins a slice to legacy and un-pins it, each change audited with who, when and why', async () => {
    const bad = await admin('/admin/slices/tickets.get/pin', { method: 'POST', body: JSON.stringify({}) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'GW_BAD_REQUEST' });
    expect(
      (await admin('/admin/slices/nope/pin', { method: 'POST', body: JSON.stringify({ note: 'x' }) })).status,
    ).toBe(404);

    const pin = await admin('/admin/slices/tickets.get/pin', {
      method: 'POST',
      body: JSON.stringify({ note: 'mismatch on priority' }),
    });
    expect(pin.status).toBe(200);
    expect(await pin.json()).toMatchObject({
      mode: 'legacy (pinned)',
      pin: { reason: 'manual', by: 'test-admin', note: 'mismatch on priority' },
    });
    const r = await get(`${s.gw.publicUrl}/api/v2/tickets/1.json`);
    expect(r.servedBy).toBe('legacy');
    expect(r.reason).toBe('pinned');
    expect(await s.metric('gateway_slice_pinned', { slice: 'tickets.get', reason: 'manual' })).toBe(1);
    // A pin is a routing decision, not a fallback.
    expect(await s.metric('gateway_fallbacks_total', { slice: 'tickets.get', reason: 'error' })).toBe(0);

    expect(
      (
        await admin('/admin/slices/tickets.get/unpin', {
          method: 'POST',
          body: JSON.stringify({ note: 'fixed in 1.2' }),
        })
      ).status,
    ).toBe(200);
    expect((await get(`${s.gw.publicUrl}/api/v2/tickets/1.json`)).servedBy).toBe('new');

    const audit = (await (await admin('/admin/audit')).json()) as { entries: Record<string, string>[] };
    expect(audit.entries.slice(0, 2)).toMatchObject([
      { action: 'unpin', actor: 'test-admin', role: 'admin', slice: 'tickets.get', note: 'fixed in 1.2' },
      { action: 'pin', actor: 'test-admin', role: 'admin', slice: 'tickets.get', note: 'mismatch on priority' },
    ]);
    expect(Date.parse(audit.entries[0]?.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });
});
