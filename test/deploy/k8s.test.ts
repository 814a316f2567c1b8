import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { parseClientFeatures } from '../../flags/client-features.js';
import { type Config, loadConfig } from '../../src/config.js';
import { isConfigEnv } from './config-env.js';
import { ROOT, readRepoFile } from './promql.js';

/*
 * Structural checks of deploy/k8s. No API server and no offline schema validator is available here (kubeconform
 * needs schemas from the network; see deploy/README.md), so the shapes that matter are written down with zod and
 * the cross-references between the objects are checked by hand.
 */

const DIR = 'deploy/k8s';
const Labels = z.record(z.string(), z.string());
const Meta = z.object({ name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/), labels: Labels.optional() });
const PortRef = z.union([z.string(), z.number().int()]);
const HttpProbe = z.object({
  httpGet: z.object({ path: z.string(), port: PortRef }),
  periodSeconds: z.number().int().positive().optional(),
  timeoutSeconds: z.number().int().positive().optional(),
  failureThreshold: z.number().int().positive().optional(),
});
const Quantity = z.union([z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi)?$/), z.number()]);
const Container = z.object({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()).optional(),
  ports: z.array(z.object({ name: z.string().max(15), containerPort: z.number().int(), protocol: z.literal('TCP') })),
  env: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
  envFrom: z.array(z.object({ secretRef: z.object({ name: z.string() }) })).default([]),
  startupProbe: HttpProbe.optional(),
  livenessProbe: HttpProbe,
  readinessProbe: HttpProbe,
  lifecycle: z.object({ preStop: z.object({ exec: z.object({ command: z.array(z.string()) }) }) }),
  resources: z.object({
    requests: z.object({ cpu: Quantity, memory: Quantity }),
    limits: z.object({ memory: Quantity }).loose(),
  }),
  securityContext: z.object({
    allowPrivilegeEscalation: z.literal(false),
    readOnlyRootFilesystem: z.literal(true),
    runAsNonRoot: z.literal(true).optional(),
    capabilities: z.object({ drop: z.array(z.string()).refine((d) => d.includes('ALL'), 'drops ALL') }),
  }),
  volumeMounts: z.array(z.object({ name: z.string(), mountPath: z.string(), readOnly: z.boolean().optional() })),
});
const Deployment = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: Meta,
  spec: z.object({
    replicas: z.number().int().min(2),
    selector: z.object({ matchLabels: Labels }),
    strategy: z.object({ type: z.literal('RollingUpdate'), rollingUpdate: z.object({ maxUnavailable: PortRef }) }),
    template: z.object({
      metadata: z.object({ labels: Labels, annotations: Labels.optional() }),
      spec: z.object({
        terminationGracePeriodSeconds: z.number().int().positive(),
        securityContext: z.object({ runAsNonRoot: z.literal(true), runAsUser: z.number().int().positive() }).loose(),
        topologySpreadConstraints: z
          .array(
            z.object({
              maxSkew: z.number().int().positive(),
              topologyKey: z.string(),
              whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
              labelSelector: z.object({ matchLabels: Labels }),
            }),
          )
          .min(1),
        containers: z.array(Container).length(1),
        volumes: z.array(
          z.object({
            name: z.string(),
            configMap: z
              .object({ name: z.string(), items: z.array(z.object({ key: z.string(), path: z.string() })) })
              .optional(),
            emptyDir: z.object({}).loose().optional(),
          }),
        ),
      }),
    }),
  }),
});
const Service = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: Meta,
  spec: z.object({
    selector: Labels,
    ports: z.array(z.object({ name: z.string(), port: z.number().int(), targetPort: PortRef })),
  }),
});
const Hpa = z.object({
  apiVersion: z.literal('autoscaling/v2'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: Meta,
  spec: z.object({
    scaleTargetRef: z.object({ apiVersion: z.literal('apps/v1'), kind: z.literal('Deployment'), name: z.string() }),
    minReplicas: z.number().int().min(2),
    maxReplicas: z.number().int(),
    metrics: z.array(
      z.object({
        type: z.literal('Resource'),
        resource: z.object({
          name: z.enum(['cpu', 'memory']),
          target: z.object({ type: z.literal('Utilization'), averageUtilization: z.number().int().min(1).max(100) }),
        }),
      }),
    ),
  }),
});
const Pdb = z.object({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata: Meta,
  spec: z
    .object({
      maxUnavailable: PortRef.optional(),
      minAvailable: PortRef.optional(),
      selector: z.object({ matchLabels: Labels }),
    })
    .refine((s) => (s.maxUnavailable === undefined) !== (s.minAvailable === undefined), 'one of max/minAvailable'),
});
const ConfigMap = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: Meta,
  data: z.record(z.string(), z.string()),
});
const Secret = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: Meta,
  type: z.literal('Opaque'),
  stringData: z.record(
    z.string(),
    z.string().includes('REPLACE-ME', { message: 'a placeholder containing REPLACE-ME' }),
  ),
});
const Kustomization = z.object({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  resources: z.array(z.string()),
  images: z.array(z.object({ name: z.string(), newTag: z.string() })).optional(),
});
const Manifest = z.discriminatedUnion('kind', [Deployment, Service, Hpa, Pdb, ConfigMap, Secret]);
type Manifest = z.infer<typeof Manifest>;

const files = readdirSync(join(ROOT, DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests: { file: string; doc: Manifest }[] = files.flatMap((file) =>
  parseAllDocuments(readRepoFile(`${DIR}/${file}`)).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    const parsed = Manifest.safeParse(d.toJS());
    if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
    return { file, doc: parsed.data };
  }),
);
function only<K extends Manifest['kind']>(kind: K): Extract<Manifest, { kind: K }> {
  const found = manifests.filter((m) => m.doc.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in ${DIR}, found ${found.length}`);
  return (found[0] as unknown as { doc: Extract<Manifest, { kind: K }> }).doc;
}

const deployment = only('Deployment');
const service = only('Service');
const hpa = only('HorizontalPodAutoscaler');
const pdb = only('PodDisruptionBudget');
const configMap = only('ConfigMap');
const secret = only('Secret');
const pod = deployment.spec.template;
const container = pod.spec.containers[0] as z.infer<typeof Container>;
const podLabels = pod.metadata.labels;
const selects = (selector: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);

/** The gateway config in the ConfigMap, loaded as the pod would: the file plus the Secret's variables. */
function podConfig(): Config {
  const dir = mkdtempSync(join(tmpdir(), 'gw-k8s-'));
  try {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, configMap.data['gateway.yaml'] ?? '');
    const env = Object.fromEntries([
      ...Object.entries(secret.stringData),
      ...container.env.map((e) => [e.name, e.value] as const),
    ]);
    return loadConfig({ file, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/k8s manifests', () => {
  it('parse, and each object has a known apiVersion and kind (zod schemas above)', () => {
    expect(manifests.map((m) => m.doc.kind).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service'].sort(),
    );
  });

  it('kustomization lists every manifest but the Secret example', () => {
    const k = Kustomization.parse(parse(readRepoFile(`${DIR}/kustomization.yaml`)));
    expect([...k.resources].sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
    for (const image of k.images ?? []) expect(container.image.startsWith(`${image.name}:`)).toBe(true);
  });

  it('pins the image to a tag or digest, never latest', () => {
    expect(container.image).toMatch(/^[\w./-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/);
    expect(container.image).not.toMatch(/:latest$/);
  });

  it('probes /healthz (liveness, startup) and /readyz (readiness) on the admin port', () => {
    const adminPort = container.ports.find((p) => p.name === 'admin');
    expect(adminPort?.containerPort).toBe(8081);
    expect(container.ports.find((p) => p.name === 'http')?.containerPort).toBe(8080);
    const onAdmin = (port: string | number) => port === 'admin' || port === 8081;
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(onAdmin(container.livenessProbe.httpGet.port)).toBe(true);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(onAdmin(container.readinessProbe.httpGet.port)).toBe(true);
    if (container.startupProbe) {
      expect(container.startupProbe.httpGet.path).toBe('/healthz');
      expect(onAdmin(container.startupProbe.httpGet.port)).toBe(true);
    }
  });

  it('listens where the probes and the Service expect: config ports and hosts match the container ports', () => {
    const config = podConfig();
    expect(config.port).toBe(8080);
    expect(config.adminPort).toBe(8081);
    expect(config.host).toBe('0.0.0.0');
    expect(config.adminHost ?? config.host).toBe('0.0.0.0');
  });

  it('gives the pod time to drain: grace period ≥ preStop pause + server.shutdownGraceMs', () => {
    const command = container.lifecycle.preStop.exec.command;
    expect(command[0]).toBe('sleep');
    const pause = Number(command[1]);
    expect(pause).toBeGreaterThan(0);
    const drain = podConfig().server.shutdownGraceMs / 1000;
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(pause + drain);
  });

  it('runs as non-root with a read-only root filesystem and no capabilities (checked by the schema)', () => {
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.capabilities.drop).toContain('ALL');
    // A writable /tmp for Node and libraries, since the root filesystem is read-only.
    const tmp = container.volumeMounts.find((m) => m.mountPath === '/tmp');
    expect(pod.spec.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it('selects its own pods: Deployment, Service, PDB and topology spread use the pod labels', () => {
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(service.spec.selector)).toBe(true);
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    for (const c of pod.spec.topologySpreadConstraints) expect(selects(c.labelSelector.matchLabels)).toBe(true);
  });

  it('Service ports target named container ports: public 8080 and admin 8081 apart', () => {
    const names = new Set(container.ports.map((p) => p.name));
    for (const p of service.spec.ports) expect(names.has(String(p.targetPort)), p.name).toBe(true);
    expect(service.spec.ports.map((p) => [p.name, p.port])).toEqual([
      ['http', 8080],
      ['admin', 8081],
    ]);
  });

  it('autoscales the Deployment on CPU, which needs a CPU request; the PDB leaves a pod running', () => {
    expect(hpa.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(hpa.spec.metrics.map((m) => m.resource.name)).toContain('cpu');
    expect(container.resources.requests.cpu).toBeDefined();
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
    if (typeof pdb.spec.maxUnavailable === 'number') {
      expect(pdb.spec.maxUnavailable).toBeLessThan(hpa.spec.minReplicas);
    }
    if (typeof pdb.spec.minAvailable === 'number') {
      expect(pdb.spec.minAvailable).toBeLessThan(hpa.spec.minReplicas);
    }
  });

  it('references a ConfigMap and Secret that exist, and mounts the files the config names', () => {
    const cmVolume = pod.spec.volumes.find((v) => v.configMap);
    expect(cmVolume?.configMap?.name).toBe(configMap.metadata.name);
    for (const item of cmVolume?.configMap?.items ?? []) expect(configMap.data[item.key], item.key).toBeDefined();
    expect(container.envFrom.map((e) => e.secretRef.name)).toEqual([secret.metadata.name]);

    const mount = container.volumeMounts.find((m) => m.name === cmVolume?.name);
    const mounted = new Set((cmVolume?.configMap?.items ?? []).map((i) => posix.join(mount?.mountPath ?? '', i.path)));
    const args = container.args ?? [];
    const configFile = args[args.indexOf('--config') + 1];
    expect(args[0]).toBe('start');
    expect(mounted.has(configFile ?? '')).toBe(true);
    expect(mounted.has(podConfig().flags.file ?? '')).toBe(true);
  });

  it('ships a valid gateway config and flags file in the ConfigMap', () => {
    const config = podConfig();
    expect(config.flags.unleashUrl).toBeDefined();
    expect(config.flags.unleashApiToken).toBe(secret.stringData.UNLEASH_API_TOKEN);
    expect(config.redisUrl).toBe(secret.stringData.REDIS_URL);
    // One PII mask key for every replica (from the one Secret), or their diffs' hashes do not compare.
    expect(config.shadow.maskKey).toBeDefined();
    expect(config.shadow.maskKey).toBe(secret.stringData.GATEWAY_MASK_KEY);
    expect(config.admin.tokens.map((t) => t.name)).toContain('GATEWAY_ADMIN_TOKEN');
    const flags = parseClientFeatures(configMap.data['flags.json'] ?? '');
    expect(flags.ok ? 'ok' : flags.error).toBe('ok');
  });

  it('uses only environment variables that src/config.ts reads', () => {
    const names = [...Object.keys(secret.stringData), ...container.env.map((e) => e.name)];
    expect(names.filter((n) => !isConfigEnv(n))).toEqual([]);
    expect(isConfigEnv('GATEWAY_NO_SUCH_SETTING')).toBe(false);
  });

  it.skipIf(!process.env.PATH?.split(':').some((d) => readdirSafe(d).includes('kubectl')))(
    'renders with kubectl kustomize (when kubectl is installed)',
    async () => {
      const { stdout } = await promisify(execFile)('kubectl', ['kustomize', join(ROOT, DIR)], { timeout: 20_000 });
      const kinds = parseAllDocuments(stdout).map((d) => (d.toJS() as { kind: string }).kind);
      expect(kinds.sort()).toEqual(
        ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'].sort(),
      );
    },
  );
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
