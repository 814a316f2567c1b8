import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  configReference,
  envOverrides,
  type ReferenceRow,
  readmeTable,
  renderTable,
  withTable,
} from '../../scripts/config-reference.mjs';
import { ConfigSchema, loadConfig } from '../../src/config.js';

/**
 * The README's configuration table is generated from src/config.ts by scripts/config-reference.mjs. These tests fail
 * when the table is out of date (a key, default, type or environment variable changed without regenerating it) and
 * check the table's claims against the real config loader, independently of how the script found them.
 */

const root = new URL('../../', import.meta.url);
const source = readFileSync(new URL('src/config.ts', root), 'utf8');
const readme = readFileSync(new URL('README.md', root), 'utf8');
const reference = configReference({ schema: ConfigSchema, loadConfig, source });

function valueAt(obj: unknown, key: string): unknown {
  let node = obj;
  for (const k of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[k];
  return node;
}

/** A value of the row's type that the schema accepts for any key of that type, and what the parsed config holds. */
function probeFor(row: ReferenceRow): { raw: string; expected: unknown } {
  if (row.type.startsWith('int')) return { raw: '4321', expected: 4321 };
  if (row.type === 'boolean') return { raw: 'true', expected: true };
  if (row.type === 'url') return { raw: 'http://probe.test:4321', expected: 'http://probe.test:4321' };
  if (row.type === 'string') return { raw: '/probe-value-0123456789', expected: '/probe-value-0123456789' };
  const options = [...row.type.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  if (options.length > 0) {
    const other = options.find((o) => `\`${o}\`` !== row.default) as string;
    return { raw: other, expected: other };
  }
  throw new Error(`no probe for ${row.key} (${row.type})`);
}

describe('README configuration table', () => {
  it('is what scripts/config-reference.mjs generates from src/config.ts', () => {
    expect(reference.problems).toEqual([]);
    const current = readmeTable(readme);
    expect(current, 'README.md lacks the <!-- config:start --> … <!-- config:end --> block').not.toBeNull();
    // Out of date? Run: npm run build && node scripts/config-reference.mjs --write
    expect(current).toBe(renderTable(reference.rows));
  });

  it('names, for every environment variable it lists, the key loadConfig actually sets', () => {
    const claims = reference.rows.flatMap((row) => row.env.map((name) => ({ name, row })));
    expect(claims.length).toBeGreaterThanOrEqual(20);
    for (const { name, row } of claims) {
      if (row.key === 'admin.tokens') {
        const token = 'probe-admin-token-0123456789';
        const cfg = loadConfig({ env: { [name]: token } });
        expect(cfg.admin.tokens, name).toContainEqual(expect.objectContaining({ token, role: 'admin' }));
        continue;
      }
      const { raw, expected } = probeFor(row);
      expect(valueAt(loadConfig({ env: { [name]: raw } }), row.key), `${name} → ${row.key}`).toEqual(expected);
    }
  });

  it('lists the variables operators set in production', () => {
    const env = new Map(reference.rows.flatMap((row) => row.env.map((name) => [name, row.key] as const)));
    expect(Object.fromEntries(env)).toMatchObject({
      GATEWAY_PORT: 'port',
      GATEWAY_LEGACY_URL: 'legacy.url',
      GATEWAY_ADMIN_TOKEN: 'admin.tokens',
      REDIS_URL: 'redisUrl',
      GATEWAY_REDIS_PREFIX: 'redisPrefix',
      GATEWAY_MASK_KEY: 'shadow.maskKey',
      GATEWAY_RECORD_FILE: 'shadow.record.file',
      UNLEASH_URL: 'flags.unleashUrl',
    });
    // Every variable the Kubernetes Secret example provides is documented.
    const secret = parseYaml(readFileSync(new URL('deploy/k8s/secret.example.yaml', root), 'utf8')) as {
      stringData: Record<string, string>;
    };
    for (const name of Object.keys(secret.stringData)) expect(env.has(name), name).toBe(true);
  });

  it('shows the schema defaults, records and list items', () => {
    const row = (key: string) => reference.rows.find((r) => r.key === key);
    expect(row('port')).toMatchObject({ default: '8080', type: 'int 0–65535', env: ['GATEWAY_PORT'] });
    expect(row('shadow.maskFreeText')).toMatchObject({ default: '`hash`' });
    expect(row('shadow.maxBodyBytes')?.default).toBe('262144 (256 KiB)');
    expect(row('pipeline.slices')).toMatchObject({ default: '`{}`' });
    expect(row('pipeline.slices.<slice>.deadlineMs')).toMatchObject({ default: '—' });
    expect(row('admin.tokens[].role')?.type).toContain('`migration-lead`');
    expect(row('admin.tokens[].token')?.default).toBe('required');
  });

  it('goes out of date when the schema changes', () => {
    const added = configReference({
      schema: ConfigSchema.extend({ newKnob: z.number().int().default(3) }),
      loadConfig,
      source,
    });
    expect(added.problems).toContain('newKnob: no meaning in scripts/config-reference.mjs MEANINGS');
    expect(renderTable(added.rows)).not.toBe(readmeTable(readme));

    const changed = configReference({
      schema: ConfigSchema.extend({ port: z.number().int().default(9090) }),
      loadConfig,
      source,
    });
    expect(changed.rows.find((r) => r.key === 'port')?.default).toBe('9090');
    expect(renderTable(changed.rows)).not.toBe(readmeTable(readme));

    const removed = configReference({ schema: ConfigSchema.omit({ redisPrefix: true }), loadConfig, source });
    expect(removed.problems).toContain('redisPrefix: has a meaning but is not in the schema');
  });

  it('lists only names that change the configuration', () => {
    const found = envOverrides(loadConfig, ['NOT_A_GATEWAY_SETTING', 'GATEWAY_PORT']);
    expect([...found.keys()]).toEqual(['GATEWAY_PORT']);
    expect(found.get('GATEWAY_PORT')).toEqual(['port']);
  });

  it('replaces only the block between the markers', () => {
    const doc = '# Title\n\n<!-- config:start -->\n| old |\n<!-- config:end -->\n\n## Next\n';
    const next = withTable(doc, '| new |\n');
    expect(next).toBe('# Title\n\n<!-- config:start -->\n| new |\n<!-- config:end -->\n\n## Next\n');
    expect(readmeTable(next)).toBe('| new |\n');
    expect(() => withTable('# no markers\n', '| new |\n')).toThrow(/config:start/);
  });
});
