import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEOPLE, seedCustomer } from '../../legacy-adapters/simulator/seed-people.js';
import { createLogger } from '../../src/observability/logger.js';
import { runCli } from '../helpers/cli.js';
import { allForbidden, leaks, timeZoneFree } from '../helpers/pii.js';
import { ADMIN_TOKEN, type Stack, startStack } from '../helpers/stack.js';

/**
 * Seeded PII (the simulator's 30 people: names, e-mails, phones, streets, cities, zips, in the formats mappers and
 * customers produce) must not appear in Redis, in the HTML report or in the logs, after real shadow traffic through a
 * gateway with Redis: ticket reads, address changes (whole customer records in both answers) and ticket creates whose
 * text quotes a customer's e-mail and phone. Bodies of matching records are kept too (the hardest case).
 */
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `gwpii:${randomBytes(4).toString('hex')}:`;
let stack: Stack;
let logs = '';
const dir = mkdtempSync(join(tmpdir(), 'gw-pii-'));

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs += chunk.toString();
      cb();
    },
  });
  stack = await startStack({
    logger: createLogger({ level: 'debug', destination: sink }),
    overrides: {
      redisUrl: REDIS_URL,
      redisPrefix: prefix,
      log: { level: 'debug' },
      shadow: { maxConcurrent: 64, maskKey: 'pii-test-mask-key-0123456789', store: { keepMatchBodies: true } },
    },
  });
  for (const slice of ['tickets.get', 'customers.address', 'tickets.create']) stack.shadow(slice, true);
  await stack.waitFor(() => stack.gw.deps.flags.slice('tickets.create').stage === 'shadow');
  for (let id = 1; id <= 60; id++) await (await request(`${stack.gw.publicUrl}/api/v2/tickets/${id}.json`)).body.text();
  for (let n = 1; n <= PEOPLE.length; n++) {
    const c = seedCustomer(n);
    const person = PEOPLE[n - 1] as (typeof PEOPLE)[number];
    const put = await request(`${stack.gw.publicUrl}/crm/customers/${c.CUSTOMER_ID}/address`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'idempotency-key': `pii-${n}` },
      body: JSON.stringify({ ADDRESS: c.ADDRESS }),
    });
    await put.body.text();
    const post = await request(`${stack.gw.publicUrl}/api/v2/tickets.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `pii-t-${n}` },
      body: JSON.stringify({
        ticket: {
          subject: `Call back ${person[0]} ${person[1]}`,
          comment: { body: `Reach me at ${c.EMAIL_ADDR} or ${c.PHONE_NO || person[4] || 'n/a'}, ${c.ADDRESS.STREET}` },
          requester_id: n,
        },
      }),
    });
    await post.body.text();
  }
  await stack.gw.deps.shadow.drain();
}, 60_000);

afterAll(async () => {
  await stack?.close();
  const r = new Redis(REDIS_URL);
  const keys = await r.keys(`${prefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('no seeded PII leaves the gateway unmasked', () => {
  it('the diff records hold the traffic (the scan has something to scan)', async () => {
    const res = await request(`${stack.gw.adminUrl}/admin/diffs/summary`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const summary = (await res.body.json()) as { total: number; backend: string };
    expect(summary.backend).toBe('redis');
    expect(summary.total).toBeGreaterThanOrEqual(100);
  });

  it('Redis holds no seeded value', async () => {
    const r = new Redis(REDIS_URL);
    const parts: string[] = [];
    for (const key of await r.keys(`${prefix}*`)) {
      parts.push(key);
      const type = await r.type(key);
      if (type === 'stream') for (const [id, f] of await r.xrange(key, '-', '+')) parts.push(id, ...f);
      else if (type === 'hash') parts.push(...Object.entries(await r.hgetall(key)).flat());
      else if (type === 'set') parts.push(...(await r.smembers(key)));
      else if (type === 'list') parts.push(...(await r.lrange(key, 0, -1)));
      else if (type === 'string') parts.push((await r.get(key)) ?? '');
    }
    r.disconnect();
    const dump = parts.join('\n');
    expect(dump.length).toBeGreaterThan(10_000);
    expect(leaks(timeZoneFree(dump), allForbidden())).toEqual([]);
  });

  it('the HTML report written by `gateway diffs --html` holds no seeded value', async () => {
    const file = join(dir, 'report.html');
    const cli = runCli(['diffs', '--admin', stack.gw.adminUrl, '--html', file, '--limit', '500'], {
      env: { GATEWAY_ADMIN_TOKEN: ADMIN_TOKEN },
    });
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('customers.address');
    expect(leaks(timeZoneFree(html), allForbidden())).toEqual([]);
  });

  it('the logs (debug level) hold no seeded value', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(logs.length).toBeGreaterThan(1_000);
    expect(leaks(timeZoneFree(logs), allForbidden())).toEqual([]);
  });
});
