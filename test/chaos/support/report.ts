import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Table from 'cli-table3';
import type { RequestRecord } from '../../helpers/load.js';

/** One row of the chaos table (and of test-results/chaos.json). */
export interface ChaosRow {
  fault: string;
  /** How the gateway ran: a child process (`node dist/src/main.js start`) or in the test process. */
  gateway: 'process' | 'in-process';
  sent: number;
  answered: number;
  byLegacy: number;
  /** Error answers by status; `gw` = the gateway's problem+json, `legacy` = legacy's own answer. */
  errorsByStatus: Record<string, number>;
  unanswered: number;
  duplicateWrites: number;
  crashes: number;
  /** Requests the gateway answered with its own problem+json 5xx (a clear error, counted as answered). */
  clearErrors: number;
  p99Ms: number;
  maxMs: number;
  /** What the scenario observed on the side (breaker, gauges, fallback reasons). */
  notes: string[];
  /** Why the scenario failed; empty when it passed. */
  failures: string[];
  durationMs: number;
}

export const RESULTS_DIR = resolve(import.meta.dirname, '../../../test-results');
export const ROWS_DIR = join(RESULTS_DIR, 'chaos');

export function summarize(
  fault: string,
  gateway: ChaosRow['gateway'],
  records: readonly RequestRecord[],
  extra: { duplicateWrites: number; crashes: number; durationMs: number },
): ChaosRow {
  const answered = records.filter((r) => r.status !== null);
  const errorsByStatus: Record<string, number> = {};
  for (const r of answered) {
    if ((r.status as number) < 400) continue;
    const key = `${r.status}${r.problem ? ' gw' : r.fromLegacy ? ' legacy' : ''}`;
    errorsByStatus[key] = (errorsByStatus[key] ?? 0) + 1;
  }
  const ms = answered.map((r) => r.ms).sort((a, b) => a - b);
  return {
    fault,
    gateway,
    sent: records.length,
    answered: answered.length,
    byLegacy: answered.filter((r) => r.servedBy === 'legacy').length,
    errorsByStatus,
    unanswered: records.length - answered.length,
    duplicateWrites: extra.duplicateWrites,
    crashes: extra.crashes,
    clearErrors: answered.filter((r) => (r.status as number) >= 500 && r.problem).length,
    p99Ms: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] ?? 0,
    maxMs: ms[ms.length - 1] ?? 0,
    notes: [],
    failures: [],
    durationMs: extra.durationMs,
  };
}

export function writeRow(row: ChaosRow): void {
  mkdirSync(ROWS_DIR, { recursive: true });
  const slug = row.fault.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
  writeFileSync(join(ROWS_DIR, `${slug}.json`), `${JSON.stringify(row, null, 2)}\n`);
}

export function readRows(): ChaosRow[] {
  let files: string[];
  try {
    files = readdirSync(ROWS_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .map((f) => JSON.parse(readFileSync(join(ROWS_DIR, f), 'utf8')) as ChaosRow)
    .sort((a, b) => a.fault.localeCompare(b.fault));
}

export function renderTable(rows: readonly ChaosRow[]): string {
  const table = new Table({
    head: [
      'fault',
      'sent',
      'answered',
      'by legacy',
      'errors by status',
      'unanswered',
      'duplicate writes',
      'crashes',
      'result',
    ],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const errors =
      Object.entries(r.errorsByStatus)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n') || '—';
    table.push([
      `${r.fault}${r.gateway === 'process' ? ' (process)' : ''}`,
      r.sent,
      r.answered,
      r.byLegacy,
      errors,
      r.unanswered,
      r.duplicateWrites,
      r.crashes,
      r.failures.length === 0 ? 'pass' : 'FAIL',
    ]);
  }
  return table.toString();
}

/** Markdown version of the table (docs/chaos.md). */
export function renderMarkdown(rows: readonly ChaosRow[]): string {
  const lines = [
    '| fault | gateway | sent | answered | by legacy | errors by status | unanswered | duplicate writes | crashes | p99 ms |',
    '|---|---|---:|---:|---:|---|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const errors =
      Object.entries(r.errorsByStatus)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || '—';
    lines.push(
      `| ${r.fault} | ${r.gateway} | ${r.sent} | ${r.answered} | ${r.byLegacy} | ${errors} | ${r.unanswered} | ${r.duplicateWrites} | ${r.crashes} | ${r.p99Ms} |`,
    );
  }
  return lines.join('\n');
}
