import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createMetrics } from '../../src/observability/metrics.js';

/**
 * Helpers for the deploy checks: the repository root, the metric catalogue as the app builds it (createMetrics, the
 * same Registry /metrics serves), a small PromQL scanner that finds metric selectors and their label matchers, and
 * promtool.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const readRepoFile = (path: string): string => readFileSync(resolve(ROOT, path), 'utf8');

/** Labels the scrape adds to every series (Prometheus target labels, Kubernetes service discovery). */
const TARGET_LABELS = ['instance', 'job', 'pod', 'namespace', 'container', 'service', 'endpoint', 'node'];

/**
 * Metrics the rules and dashboard use before src/observability/metrics.ts defines them: the lead is adding both (the
 * auto-rollback counter and the state backend gauge, DESIGN §8). Remove an entry once metrics.ts has it.
 */
export const PENDING_METRICS: Readonly<Record<string, readonly string[]>> = {};

/** Every series name the app exports, with its label names (histograms expanded to _bucket/_sum/_count). */
export async function knownMetrics(): Promise<Map<string, Set<string>>> {
  const metrics = createMetrics();
  const out = new Map<string, Set<string>>();
  // prom-client's typings hide `labelNames`; the metric objects carry it (it is what `labels()` validates against).
  const all = metrics.registry.getMetricsAsArray() as unknown as Array<{
    get(): Promise<{ name: string; type: string }>;
    labelNames?: readonly string[];
  }>;
  for (const metric of all) {
    const { name, type } = await metric.get();
    const labels = metric.labelNames ?? [];
    const set = new Set([...labels, ...TARGET_LABELS]);
    if (type === 'histogram') {
      out.set(`${name}_bucket`, new Set([...set, 'le']));
      out.set(`${name}_sum`, set);
      out.set(`${name}_count`, set);
    } else if (type === 'summary') {
      out.set(name, new Set([...set, 'quantile']));
      out.set(`${name}_sum`, set);
      out.set(`${name}_count`, set);
    } else {
      out.set(name, set);
    }
  }
  return out;
}

export interface Selector {
  metric: string;
  labels: string[];
}

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2']);
/** Aggregation operators: `sum by (x) (…)` puts the grouping between the name and its parenthesis. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;

function skipString(expr: string, i: number): number {
  const quote = expr[i];
  let j = i + 1;
  while (j < expr.length && expr[j] !== quote) j += expr[j] === '\\' ? 2 : 1;
  return j + 1;
}

function skipSpace(expr: string, i: number): number {
  let j = i;
  while (j < expr.length && /\s/.test(expr[j] as string)) j++;
  return j;
}

/** The index after the bracket that closes the one at `i`. */
function skipGroup(expr: string, i: number, open: string, close: string): number {
  let depth = 0;
  let j = i;
  while (j < expr.length) {
    const c = expr[j] as string;
    if (c === '"' || c === "'" || c === '`') {
      j = skipString(expr, j);
      continue;
    }
    if (c === open) depth++;
    if (c === close && --depth === 0) return j + 1;
    j++;
  }
  throw new Error(`unbalanced ${open}${close} in: ${expr}`);
}

/** Label names used in a `{…}` matcher block starting at `i`. */
function matcherLabels(block: string): string[] {
  const labels: string[] = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;
  for (const m of block.matchAll(re)) labels.push(m[1] as string);
  return labels;
}

/**
 * Metric selectors in a PromQL expression: names not followed by `(` (functions, aggregations) and not keywords,
 * with the label names of their matchers. Grouping label lists, strings and range/offset durations are skipped.
 */
export function selectorsOf(expr: string): Selector[] {
  const out: Selector[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
      continue;
    }
    if (c === '[') {
      i = skipGroup(expr, i, '[', ']');
      continue;
    }
    if (/[0-9.]/.test(c)) {
      i++;
      while (i < expr.length && /[0-9a-zA-Z.]/.test(expr[i] as string)) i++;
      continue;
    }
    IDENT.lastIndex = i;
    const m = IDENT.exec(expr);
    if (!m) {
      i++;
      continue;
    }
    const word = m[0];
    let j = skipSpace(expr, i + word.length);
    if (GROUPING.has(word)) {
      i = expr[j] === '(' ? skipGroup(expr, j, '(', ')') : j;
      continue;
    }
    if (KEYWORDS.has(word) || AGGREGATIONS.has(word) || expr[j] === '(') {
      i = j;
      continue;
    }
    const labels: string[] = [];
    if (expr[j] === '{') {
      const end = skipGroup(expr, j, '{', '}');
      labels.push(...matcherLabels(expr.slice(j + 1, end - 1)));
      j = end;
    }
    out.push({ metric: word, labels });
    i = j;
  }
  return out;
}

/**
 * Problems with the selectors of `expr`: unknown metric names, and label names the metric does not have. `extra`
 * adds names defined elsewhere (recording rules), whose labels are not checked.
 */
export function selectorProblems(
  expr: string,
  known: ReadonlyMap<string, ReadonlySet<string>>,
  extra: ReadonlySet<string> = new Set(),
): string[] {
  const problems: string[] = [];
  for (const { metric, labels } of selectorsOf(expr)) {
    if (extra.has(metric)) continue;
    const pending = PENDING_METRICS[metric];
    const allowed = known.get(metric) ?? (pending ? new Set([...pending, ...TARGET_LABELS]) : undefined);
    if (!allowed) {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    for (const label of labels) {
      if (!allowed.has(label)) problems.push(`${metric} has no label ${label}`);
    }
  }
  return problems;
}

const execFileAsync = promisify(execFile);

/** Runs promtool; a missing binary is a setup problem and says how to fix it. */
export async function promtool(args: string[], cwd = ROOT): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('promtool', args, { cwd, timeout: 30_000 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'promtool is not installed: run `bash scripts/test-setup.sh` (it installs the Debian package prometheus), ' +
          'or `apt-get install prometheus`.',
      );
    }
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** GitHub-style heading anchors of a Markdown file. */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = (m[1] as string)
      .toLowerCase()
      .replace(/`/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    anchors.add(slug);
  }
  return anchors;
}
