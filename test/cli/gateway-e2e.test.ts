import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { ADMIN_TOKEN, get, type Stack, startStack, VIEWER_TOKEN } from '../helpers/stack.js';

/**
 * The whole QA loop against a real gateway and legacy simulator, with the CLI run as a user runs it: the gateway
 * records sampled traffic, `gateway replay` resends it with a run id, the gateway shadow-compares the replayed
 * requests, and `gateway replay` / `gateway diffs --replay` report exactly that run from the admin API.
 */
describe('recorder → replay → shadow diffs → report, on a real gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-qa-e2e-'));
  const file = join(dir, 'traffic.jsonl');
  let stack: Stack | null = null;
  afterAll(async () => {
    await stack?.close();
  });

  it('replays recorded traffic and reports the run’s comparisons', async () => {
    stack = await startStack({
      overrides: { shadow: { record: { file, sampleRate: 1 }, noise: { secondary: false } } },
    });
    const s = stack;
    s.shadow('tickets.get', true);
    await s.waitFor(() => s.gw.deps.flags.slice('tickets.get').stage === 'shadow');
    for (let id = 1; id <= 5; id++) {
      const r = await get(`${s.gw.publicUrl}/api/v2/tickets/${id}.json?token=abc`);
      expect(r.status).toBe(200);
    }
    // The recorder writes asynchronously; wait for its five lines.
    await s.waitFor(() => {
      try {
        return readFileSync(file, 'utf8').trim().split('\n').length >= 5;
      } catch {
        return false;
      }
    });
    const recorded = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(recorded.map((l) => l.url)).toEqual(
      [1, 2, 3, 4, 5].map((id) => `/api/v2/tickets/${id}.json?token=[redacted]`),
    );
    expect(recorded.every((l) => l.slice === 'tickets.get')).toBe(true);

    const replay = runCli(
      ['replay', file, '--target', s.gw.publicUrl, '--rate', '0', '--json', '--records', '--wait', '10'],
      { env: { GATEWAY_ADMIN_URL: s.gw.adminUrl, GATEWAY_ADMIN_TOKEN: VIEWER_TOKEN } },
    );
    const { code } = await replay.exited;
    expect(code, replay.stderr()).toBe(0);
    const doc = JSON.parse(replay.stdout());
    const runId: string = doc.run.runId;
    expect(doc.run).toMatchObject({ sent: 5, answered: 5, byStatus: { 200: 5 } });
    // The five replayed requests were shadow-compared and tagged with the run; the five originals are not counted.
    expect(doc.summary.total).toBe(5);
    expect(doc.summary.slices.map((x: { slice: string }) => x.slice)).toEqual(['tickets.get']);
    expect(doc.records).toHaveLength(5);
    expect(doc.records.every((r: { replay: string }) => r.replay === runId)).toBe(true);
    expect(doc.records.map((r: { requestId: string }) => r.requestId).sort()).toEqual(
      [1, 2, 3, 4, 5].map((n) => `replay-${runId}-${n}`),
    );

    const html = join(dir, 'run.html');
    const diffs = runCli([
      'diffs',
      '--replay',
      runId,
      '--html',
      html,
      '--admin',
      s.gw.adminUrl,
      '--token',
      ADMIN_TOKEN,
    ]);
    expect((await diffs.exited).code, diffs.stderr()).toBe(0);
    expect(diffs.stdout()).toContain('Shadow diffs: 5 records');
    expect(diffs.stdout()).toContain(`filters: replay=${runId}`);
    expect(readFileSync(html, 'utf8').match(/<article class="record"/g)).toHaveLength(5);
  });
});
