import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { loadConfig } from '../../src/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    cb();
  },
});

let sim: Simulator;
let gw: RunningGateway;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const config = loadConfig({
    env: {},
    overrides: { port: 0, adminPort: 0, legacy: { url: sim.url }, log: { redactQueryParams: ['customer_email'] } },
  });
  gw = await startGateway(config, { logger: createLogger({ level: 'info', destination: sink }) });
});
afterAll(async () => {
  await gw.close();
  await sim.close();
});

describe('access log', () => {
  it('writes one JSON line per request with request id, route, slice, mode, who served it and why', async () => {
    const before = lines.length;
    const res = await request(`${gw.publicUrl}/api/v2/tickets/2.json`, { headers: { 'x-request-id': 'req-abc-1' } });
    await res.body.dump();
    const res2 = await request(`${gw.publicUrl}/api/v2/users/2.json`);
    await res2.body.dump();
    const access = lines.slice(before).filter((l) => l.msg === 'request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      reqId: 'req-abc-1',
      method: 'GET',
      status: 200,
      route: 'tickets.get',
      slice: 'tickets.get',
      mode: 'legacy',
      servedBy: 'legacy',
      reason: 'flag_off',
      fallback: false,
    });
    expect(access[1]).toMatchObject({ route: 'passthrough', slice: 'passthrough', servedBy: 'legacy', status: 200 });
    expect(typeof access[1]?.reqId).toBe('string');
    expect(access[1]?.ms).toBeGreaterThanOrEqual(0);
  });

  it('never logs credentials, cookies or configured query secrets', async () => {
    const before = lines.length;
    const res = await request(`${gw.publicUrl}/api/v2/echo/x?access_token=tok-123&customer_email=a%40b.c&page=2`, {
      headers: { authorization: 'Bearer very-secret', cookie: 'sid=cookie-secret' },
    });
    await res.body.dump();
    const text = JSON.stringify(lines.slice(before));
    expect(text).toContain('page=2');
    expect(text).toContain('access_token=[redacted]');
    expect(text).toContain('customer_email=[redacted]');
    for (const secret of ['tok-123', 'a%40b.c', 'very-secret', 'cookie-secret']) expect(text).not.toContain(secret);
  });
});
