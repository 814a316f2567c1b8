import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseClientFeatures } from '../../flags/client-features.js';
import { loadConfig } from '../../src/config.js';
import { isConfigEnv } from './config-env.js';
import { ROOT, readRepoFile } from './promql.js';

/*
 * deploy/compose.yaml, checked without an engine: the structure with zod, cross-references by hand, and the Compose
 * schema by `docker-compose config` (Debian's docker-compose 1.29, installed by scripts/test-setup.sh; it parses
 * and validates without talking to a daemon).
 */

const COMPOSE = 'deploy/compose.yaml';
const COMPOSE_DIR = resolve(ROOT, 'deploy');

const Healthcheck = z.object({
  test: z.union([z.array(z.string()).min(2), z.string()]),
  interval: z.string(),
  timeout: z.string(),
  retries: z.number().int().positive(),
  start_period: z.string().optional(),
});
const ServiceSchema = z.object({
  image: z.string().regex(/:[\w.-]+$/, 'a pinned tag'),
  build: z.object({ context: z.string(), dockerfile: z.string() }).optional(),
  command: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).default({}),
  volumes: z.array(z.string()).default([]),
  healthcheck: Healthcheck,
  depends_on: z.record(z.string(), z.object({ condition: z.literal('service_healthy') })).default({}),
  ports: z.array(z.string()).default([]),
});
const ComposeSchema = z.object({ services: z.record(z.string(), ServiceSchema) });

// `merge: true` resolves the `<<: *gateway` keys as Compose does.
const compose = ComposeSchema.parse(parse(readRepoFile(COMPOSE), { merge: true }));
const services = compose.services;
const gatewayImage = (services['gateway-a'] as z.infer<typeof ServiceSchema>).image;
const gateways = Object.entries(services).filter(([, s]) => s.command?.[0] === 'start');

/** Environment values with ${VAR:-default} interpolated to their defaults. */
const interpolate = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

describe('deploy/compose.yaml', () => {
  it('has two gateways, the simulator, Redis, Unleash and its PostgreSQL', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['gateway-a', 'gateway-b', 'postgres', 'redis', 'simulator', 'unleash'].sort(),
    );
    expect(gateways.map(([name]) => name).sort()).toEqual(['gateway-a', 'gateway-b']);
    expect(services.unleash?.image).toMatch(/^unleashorg\/unleash-server:\d+\.\d+\.\d+$/);
  });

  it('runs the simulator from the gateway image with the CLI `simulator` command', () => {
    const sim = services.simulator;
    expect(sim?.image).toBe(gatewayImage);
    expect(sim?.command?.[0]).toBe('simulator');
    const usage = readRepoFile('src/cli/args.ts');
    for (const flag of (sim?.command ?? []).filter((a) => a.startsWith('--'))) expect(usage).toContain(`${flag} `);
  });

  it('starts every dependency first and waits for it to be healthy; every target exists', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const dep of Object.keys(service.depends_on)) expect(services, `${name} → ${dep}`).toHaveProperty(dep);
    }
    for (const [name, gw] of gateways) {
      expect(Object.keys(gw.depends_on).sort(), name).toEqual(['redis', 'simulator', 'unleash']);
      expect(gw.image).toBe(gatewayImage);
    }
    expect(Object.keys(services.unleash?.depends_on ?? {})).toEqual(['postgres']);
  });

  it('checks gateway health on the admin port and builds the image from deploy/Dockerfile', () => {
    for (const [name, gw] of gateways) {
      expect(JSON.stringify(gw.healthcheck.test), name).toMatch(/127\.0\.0\.1:8081\/readyz/);
      expect(gw.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(existsSync(resolve(COMPOSE_DIR, gw.build?.context ?? '', gw.build?.dockerfile ?? ''))).toBe(true);
    }
  });

  it('publishes each gateway on its own host ports', () => {
    const hostPorts = gateways.flatMap(([, gw]) => gw.ports.map((p) => p.split(':')[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('uses only environment variables that src/config.ts reads', () => {
    const unknown = gateways.flatMap(([name, gw]) =>
      Object.entries(gw.environment)
        .filter(([k, v]) => !isConfigEnv(k, interpolate(v)))
        .map(([k]) => `${name}: ${k}`),
    );
    expect(unknown).toEqual([]);
  });

  it('gives each gateway a valid config: the mounted example file, the compose environment, Redis, Unleash', () => {
    for (const [name, gw] of gateways) {
      const mounts = new Map(
        gw.volumes.map((v) => {
          const [src, target] = v.split(':');
          return [target as string, resolve(COMPOSE_DIR, src as string)];
        }),
      );
      const args = gw.command ?? [];
      const target = args[args.indexOf('--config') + 1] as string;
      const file = mounts.get(target);
      expect(file && existsSync(file), `${name}: --config ${target} is not mounted from an existing file`).toBe(true);
      const env = Object.fromEntries(Object.entries(gw.environment).map(([k, v]) => [k, interpolate(v)]));
      const config = loadConfig({ file: file as string, env });
      expect(config.legacy.url).toBe('http://simulator:8090');
      expect(config.redisUrl).toBe('redis://redis:6379');
      expect(config.flags.unleashUrl).toBe('http://unleash:4242/api/');
      expect(config.host).toBe('0.0.0.0');
      expect(config.adminPort).toBe(8081);
      // The flags file the config names is mounted too, and valid (it bootstraps until Unleash answers).
      const flagsFile = mounts.get(config.flags.file ?? '');
      expect(flagsFile, `${name}: flags.file ${config.flags.file} is not mounted`).toBeDefined();
      const flags = parseClientFeatures(readFileSync(flagsFile as string, 'utf8'));
      expect(flags.ok ? 'ok' : flags.error).toBe('ok');
    }
  });

  it('gives the gateways the Unleash backend token that Unleash creates at start', () => {
    const created = services.unleash?.environment.INIT_BACKEND_API_TOKENS?.split(',') ?? [];
    for (const [name, gw] of gateways) expect(created, name).toContain(gw.environment.UNLEASH_API_TOKEN);
  });

  it('gives both gateways one PII mask key, so the hashes in their shadow diffs compare', () => {
    const keys = gateways.map(([name, gw]) => {
      const value = gw.environment.GATEWAY_MASK_KEY;
      expect(value, `${name}: GATEWAY_MASK_KEY`).toBeDefined();
      return loadConfig({ env: { GATEWAY_MASK_KEY: interpolate(value ?? '') } }).shadow.maskKey;
    });
    expect(keys[0]).toBeDefined();
    expect(new Set(keys).size).toBe(1);
  });

  it('passes `docker-compose config` (Compose schema, anchors, references)', async () => {
    const run = promisify(execFile);
    let output: string;
    try {
      const { stdout } = await run('docker-compose', ['-f', COMPOSE, 'config'], { cwd: ROOT, timeout: 30_000 });
      output = stdout;
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') {
        throw new Error('docker-compose is not installed: run `bash scripts/test-setup.sh` (Debian docker-compose).');
      }
      throw new Error(`docker-compose config failed:\n${e.stderr ?? e.message}`);
    }
    const resolved = z.object({ services: z.record(z.string(), z.unknown()) }).parse(parse(output));
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(services).sort());
  });

  it('and `docker-compose config` rejects a broken file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-compose-'));
    try {
      const broken = readRepoFile(COMPOSE).replace('condition: service_healthy', 'condition: service_happy');
      writeFileSync(join(dir, 'compose.yaml'), broken);
      const stderr = await promisify(execFile)('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], {
        cwd: dir,
        timeout: 30_000,
      }).then(
        () => 'accepted',
        (e: NodeJS.ErrnoException & { stderr?: string }) => e.stderr ?? e.message,
      );
      expect(stderr).toContain('service_happy');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
