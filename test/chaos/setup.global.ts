import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAIN, ROOT } from '../helpers/cli.js';
import { RESULTS_DIR, ROWS_DIR, readRows, renderMarkdown, renderTable } from './support/report.js';

/**
 * Chaos suite setup: the gateway runs as a child process from dist/, so dist must match the sources (built here when
 * it is missing or older than any source file; `npm test` builds in its pretest). Teardown prints the table of every
 * scenario and writes it to test-results/chaos.json (and as Markdown to test-results/chaos.md).
 */
const SOURCES = ['src', 'routes', 'legacy-adapters', 'mappers', 'flags', 'contracts'];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

export function setup(): void {
  rmSync(ROWS_DIR, { recursive: true, force: true });
  const built = existsSync(MAIN) ? statSync(MAIN).mtimeMs : 0;
  const newest = Math.max(...SOURCES.map((d) => newestSource(resolve(ROOT, d))));
  if (built >= newest) return;
  console.log('[chaos] dist/ is older than the sources: building (tsc -p tsconfig.json)');
  const r = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build failed; the chaos suite runs the built gateway:\n${r.stdout}${r.stderr}`);
}

export function teardown(): void {
  const rows = readRows();
  if (rows.length === 0) {
    console.log('[chaos] no scenario finished: no table');
    return;
  }
  console.log(`\nChaos suite: ${rows.length} scenarios\n${renderTable(rows)}`);
  for (const r of rows.filter((x) => x.failures.length > 0))
    console.log(`FAIL ${r.fault}:\n  - ${r.failures.join('\n  - ')}`);
  writeFileSync(
    join(RESULTS_DIR, 'chaos.json'),
    `${JSON.stringify({ generatedAt: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  writeFileSync(join(RESULTS_DIR, 'chaos.md'), `${renderMarkdown(rows)}\n`);
  console.log(`[chaos] table written to ${join(RESULTS_DIR, 'chaos.json')} (and chaos.md for docs/chaos.md)`);
}
