import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { RESULT_CLASSES } from '../../src/shadow/types.js';
import {
  knownMetrics,
  markdownAnchors,
  promtool,
  ROOT,
  readRepoFile,
  selectorProblems,
  selectorsOf,
} from './promql.js';

const RULES = 'deploy/prometheus/rules.yaml';
const RULES_TEST = 'deploy/prometheus/rules.test.yaml';
const RUNBOOK_BASE = 'https://git.example.com/strangler-gateway/blob/main/deploy/README.md#';

const RecordingRule = z.object({
  record: z.string().regex(/^[a-z_]+:gateway_[a-z0-9_]+:[a-z0-9_]+$/),
  expr: z.string(),
});
const AlertRule = z.object({
  alert: z.string().regex(/^Gateway[A-Za-z]+$/),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.object({ severity: z.enum(['warning', 'critical']), component: z.literal('strangler-gateway') }),
  annotations: z
    .object({
      summary: z.string().min(10),
      description: z.string().min(20),
      runbook_url: z.string().startsWith(RUNBOOK_BASE),
    })
    .strict(),
});
const RulesFile = z.object({
  groups: z.array(z.object({ name: z.string(), rules: z.array(z.union([RecordingRule, AlertRule])) })).min(1),
});
const RulesTestFile = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      name: z.string(),
      alert_rule_test: z
        .array(z.object({ alertname: z.string(), eval_time: z.string(), exp_alerts: z.array(z.unknown()) }))
        .default([]),
    }),
  ),
});

const rules = RulesFile.parse(parse(readRepoFile(RULES)));
const allRules = rules.groups.flatMap((g) => g.rules);
const alerts = allRules.filter((r): r is z.infer<typeof AlertRule> => 'alert' in r);
const records = allRules.filter((r): r is z.infer<typeof RecordingRule> => 'record' in r);

describe('deploy/prometheus/rules.yaml', () => {
  it('passes promtool check rules', async () => {
    const { code, output } = await promtool(['check', 'rules', RULES]);
    expect(output).toContain('SUCCESS');
    expect(code, output).toBe(0);
  });

  it('passes its promtool unit tests (deploy/prometheus/rules.test.yaml)', async () => {
    const { code, output } = await promtool(['test', 'rules', RULES_TEST]);
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  describe('the unit tests can fail', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'gw-rules-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('a rule with the wrong denominator (all routing decisions, legacy included) fails them', async () => {
      const broken = readRepoFile(RULES).replace(
        'gateway_routing_decisions_total{target="new"}',
        'gateway_routing_decisions_total',
      );
      expect(broken).not.toBe(readRepoFile(RULES));
      writeFileSync(join(dir, 'rules.yaml'), broken);
      copyFileSync(join(ROOT, RULES_TEST), join(dir, 'rules.test.yaml'));
      const { code, output } = await promtool(['test', 'rules', 'rules.test.yaml'], dir);
      expect(code).not.toBe(0);
      expect(output).toContain('GatewaySliceFallbackRateHigh');
    });
  });

  it('gives every alert a severity, summary, description and a runbook section that exists in deploy/README.md', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    const anchors = markdownAnchors(readRepoFile('deploy/README.md'));
    for (const alert of alerts) {
      const anchor = alert.annotations.runbook_url.slice(RUNBOOK_BASE.length);
      expect(anchor, alert.alert).toBe(alert.alert.toLowerCase());
      expect(anchors.has(anchor), `deploy/README.md has no heading for #${anchor}`).toBe(true);
    }
  });

  it('covers the signals the SRE view needs', () => {
    const used = new Set(allRules.flatMap((r) => selectorsOf(r.expr).map((s) => s.metric)));
    for (const metric of [
      'gateway_fallbacks_total',
      'gateway_routing_decisions_total',
      'gateway_breaker_state',
      'gateway_flag_staleness_seconds',
      'gateway_flag_provider_up',
      'gateway_shadow_comparisons_total',
      'gateway_auto_rollbacks_total',
      'gateway_state_backend_up',
    ]) {
      expect(used, metric).toContain(metric);
    }
  });

  it('references only metrics and labels that src/observability/metrics.ts exports (or the recording rules define)', async () => {
    const known = await knownMetrics();
    const recorded = new Set(records.map((r) => r.record));
    const problems = allRules.flatMap((r) =>
      selectorProblems(r.expr, known, recorded).map((p) => `${'alert' in r ? r.alert : r.record}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('splits shadow results exactly into mismatches, candidate failures and match', () => {
    const text = readRepoFile(RULES);
    const classes = (re: RegExp) => (text.match(re)?.[1] ?? '').split('|').sort();
    const mismatch = classes(/result=~"((?:value_mismatch|schema_error|mapping_gap)(?:\|[a-z_]+)*)"/);
    const failure = classes(/result=~"(candidate_[a-z_]+(?:\|[a-z_]+)*)"/);
    expect(mismatch).toEqual(['mapping_gap', 'schema_error', 'value_mismatch']);
    expect(failure).toEqual(['candidate_error', 'candidate_timeout']);
    expect([...mismatch, ...failure, 'match'].sort()).toEqual([...RESULT_CLASSES].sort());
  });

  it('has a firing and a quiet case in the unit tests for every alert', () => {
    const tests = RulesTestFile.parse(parse(readRepoFile(RULES_TEST)));
    expect(tests.rule_files).toEqual(['rules.yaml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    for (const { alert } of alerts) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${alert}: no test case where it fires`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${alert}: no test case where it stays quiet`,
      ).toBe(true);
    }
  });
});

describe('the PromQL scanner behind these checks', () => {
  it('reports unknown metrics and labels, and ignores functions, grouping labels and strings', async () => {
    const known = await knownMetrics();
    expect(
      selectorProblems(
        'sum by (slice, nope) (rate(gateway_fallbacks_total{reason="x", servedBy="new"}[5m])) / on (slice) gateway_fallback_total',
        known,
      ),
    ).toEqual(['gateway_fallbacks_total has no label servedBy', 'unknown metric gateway_fallback_total']);
    expect(
      selectorsOf(
        'histogram_quantile(0.99, sum by (le) (rate(gateway_request_duration_seconds_bucket{route=~"a|b"}[5m] offset 1h)))',
      ),
    ).toEqual([{ metric: 'gateway_request_duration_seconds_bucket', labels: ['route'] }]);
    expect(selectorProblems('gateway_request_duration_seconds_bucket{le="0.1", instance="a"}', known)).toEqual([]);
  });
});
