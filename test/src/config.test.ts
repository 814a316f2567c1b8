import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));

describe('config', () => {
  it('has safe defaults: loopback, 8080/8081, simulator legacy, decision headers off', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      adminPort: 8081,
      legacy: { url: 'http://127.0.0.1:8090' },
    });
    expect(c.pipeline.exposeDecisionHeaders).toBe(false);
  });

  it('a per-slice pin-back rule inherits every threshold it leaves out from the global rule', () => {
    const cfg = loadConfig({
      env: {},
      overrides: {
        rollback: { minRequests: 40, maxMismatchRate: 0.1, slices: { 'tickets.get': { minRequests: 10 } } },
      },
    });
    expect(cfg.rollback.slices['tickets.get']).toEqual({ minRequests: 10 });
    expect(cfg.rollback.minRequests).toBe(40);
    expect(cfg.rollback.maxMismatchRate).toBe(0.1);
  });

  it('reads YAML, then lets the environment override it', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      'port: 9000\nlegacy:\n  url: http://legacy.internal:8000\nflags:\n  file: /etc/gw/flags.json\n',
    );
    const c = loadConfig({
      file,
      env: {
        GATEWAY_PORT: '9100',
        UNLEASH_URL: 'http://unleash:4242/api/',
        UNLEASH_API_TOKEN: 'default:production.x',
        GATEWAY_ADMIN_TOKEN: 'admin-token-0123456789',
        REDIS_URL: 'redis://:pw@r:6379',
      },
    });
    expect(c.port).toBe(9100);
    expect(c.legacy.url).toBe('http://legacy.internal:8000');
    expect(c.flags).toMatchObject({
      file: '/etc/gw/flags.json',
      unleashUrl: 'http://unleash:4242/api/',
      unleashApiToken: 'default:production.x',
    });
    expect(c.admin.tokens).toEqual([{ token: 'admin-token-0123456789', role: 'admin', name: 'GATEWAY_ADMIN_TOKEN' }]);
    const shown = JSON.stringify(redactConfig(c));
    expect(shown).not.toContain('admin-token-0123456789');
    expect(shown).not.toContain('production.x');
    expect(shown).not.toContain(':pw@');
  });

  it('reports every problem with its path', () => {
    try {
      loadConfig({
        env: { GATEWAY_PORT: 'eighty', GATEWAY_LEGACY_URL: 'nope' },
        overrides: { admin: { tokens: [{ token: 'short', role: 'root' as 'admin', name: 'x' }] } },
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^port: /m);
      expect(problems).toMatch(/^legacy\.url: /m);
      expect(problems).toMatch(/^admin\.tokens\.0\.token: /m);
      expect(problems).toMatch(/^admin\.tokens\.0\.role: /m);
    }
  });

  it('reports an unreadable or unparsable file as a config problem', () => {
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(ConfigError);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "port": ');
    expect(() => loadConfig({ file: bad, env: {} })).toThrow(/cannot parse/);
  });
});
