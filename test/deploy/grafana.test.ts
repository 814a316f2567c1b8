import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { knownMetrics, promtool, readRepoFile, selectorProblems, selectorsOf } from './promql.js';

const DASHBOARD = 'deploy/grafana/gateway-sre.json';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana interpolates ${datasource}, not JavaScript
const DS = { type: 'prometheus', uid: '${datasource}' };
const DatasourceRef = z.object({ type: z.literal(DS.type), uid: z.literal(DS.uid) }).strict();

const GridPos = z.object({
  h: z.number().int().positive(),
  w: z.number().int().min(1).max(24),
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
});
const Target = z.object({ refId: z.string().min(1), expr: z.string().min(1), datasource: DatasourceRef });
const Panel = z.object({
  id: z.number().int().positive(),
  type: z.string(),
  title: z.string().min(1),
  gridPos: GridPos,
  datasource: DatasourceRef.optional(),
  targets: z.array(Target).optional(),
});
const Variable = z.looseObject({ name: z.string(), type: z.string() });
const Dashboard = z.object({
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(36),
  panels: z.array(Panel).min(1),
  templating: z.object({ list: z.array(Variable) }),
});

const dashboard = Dashboard.parse(JSON.parse(readRepoFile(DASHBOARD)));
const dataPanels = dashboard.panels.filter((p) => p.type !== 'row');
const targets = dataPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

/** Grafana's variables replaced by values Prometheus accepts, so promtool can parse the queries. */
const concrete = (expr: string): string =>
  expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h').replaceAll('$slice', '.*');

describe('deploy/grafana/gateway-sre.json', () => {
  it('has a Prometheus datasource variable that every panel and query uses', () => {
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of dataPanels) {
      expect(panel.datasource, panel.title).toEqual(DS);
      expect(panel.targets?.length ?? 0, `${panel.title} has no query`).toBeGreaterThan(0);
    }
  });

  it('lays out panels with unique ids on the 24-column grid without overlaps', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of dashboard.panels) {
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
        for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
          const key = `${x},${y}`;
          expect(cells.has(key), `${title} overlaps another panel at ${key}`).toBe(false);
          cells.add(key);
        }
      }
    }
  });

  it('queries only metrics and labels that src/observability/metrics.ts exports', async () => {
    const known = await knownMetrics();
    const problems = targets.flatMap((t) => selectorProblems(t.expr, known).map((p) => `${t.panel}: ${p}`));
    for (const v of dashboard.templating.list) {
      const def = typeof v.definition === 'string' ? v.definition : '';
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(def);
      if (v.type !== 'query') continue;
      expect(m, `variable ${v.name}: expected label_values(metric, label)`).not.toBeNull();
      if (!m) continue;
      const [, metric, label] = m as unknown as [string, string, string];
      if (!known.get(metric)?.has(label)) problems.push(`variable ${v.name}: ${metric} has no label ${label}`);
    }
    expect(problems).toEqual([]);
  });

  it('shows what the SRE view needs', () => {
    const used = new Set(targets.flatMap((t) => selectorsOf(t.expr).map((s) => s.metric)));
    for (const metric of [
      'gateway_requests_total',
      'gateway_request_duration_seconds_bucket',
      'gateway_fallbacks_total',
      'gateway_routing_decisions_total',
      'gateway_breaker_state',
      'gateway_flag_provider_up',
      'gateway_flag_staleness_seconds',
      'gateway_shadow_comparisons_total',
      'gateway_auto_rollbacks_total',
      'gateway_state_backend_up',
      'gateway_ai_tokens_total',
      'gateway_ai_cost_usd_total',
    ]) {
      expect(used, metric).toContain(metric);
    }
    const p99 = targets.find((t) => t.expr.startsWith('histogram_quantile(0.99'));
    expect(p99?.expr).toContain('served_by');
  });

  describe('every query is valid PromQL (parsed by promtool)', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gw-dash-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('passes promtool check rules when each query is a recording rule', async () => {
      const file = join(dir, 'dashboard-queries.yaml');
      const rules = targets.map((t, i) => ({ record: `dashboard:query_${i}`, expr: concrete(t.expr) }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const { code, output } = await promtool(['check', 'rules', file]);
      expect(code, output).toBe(0);
      expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
    });

    it('and that check fails on a broken query', async () => {
      const file = join(dir, 'broken.yaml');
      writeFileSync(
        file,
        stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (slice (rate(a[5m]))' }] }] }),
      );
      const { code } = await promtool(['check', 'rules', file]);
      expect(code).not.toBe(0);
    });
  });
});
