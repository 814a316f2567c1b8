import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, ROOT, runCli } from '../helpers/cli.js';

const EVAL_MAIN = resolve(ROOT, 'dist/src/eval-main.js');

/** Runs `node dist/src/eval-main.js …` as `npm run eval -- …` does after its build step. */
function runEvalMain(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  const child = spawn(process.execPath, [EVAL_MAIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((res) => child.once('close', (code) => res({ code, stdout, stderr })));
}

describe('gateway classify (built CLI)', () => {
  it('prints the local answer for an order question as one JSON line', async () => {
    const p = runCli(['classify', 'where is my order A-1001']);
    expect((await p.exited).code).toBe(0);
    const json = JSON.parse(p.stdout().trim()) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toStrictEqual(
      ['confidence', 'escalation', 'handoff', 'intent', 'margin', 'outOfScope', 'tier'].sort(),
    );
    expect(json).toMatchObject({ intent: 'order_status', outOfScope: false, handoff: false, tier: 'local' });
    expect(json.confidence).toBeGreaterThanOrEqual(0.7);
  });

  it('a request for a human is decided by the rules and hands off', async () => {
    const p = runCli(['classify', 'I want to talk to a real person']);
    expect((await p.exited).code).toBe(0);
    expect(JSON.parse(p.stdout())).toMatchObject({
      intent: 'talk_to_human',
      handoff: true,
      tier: 'rules',
      escalation: 'human_requested',
    });
  });

  it('never calls an LLM even when one is configured', async () => {
    const p = runCli(['classify', 'hmm'], { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'k' } });
    expect((await p.exited).code).toBe(0);
    expect(JSON.parse(p.stdout())).toMatchObject({ tier: 'local' });
  });

  it('exits 2 without text', async () => {
    const p = runCli(['classify']);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr()).toContain('classify needs the customer text');
  });
});

describe('npm run eval (built entry)', () => {
  it('meets the targets on the shipped eval set and prints the tables', async () => {
    const r = await runEvalMain(['data/intents/eval.jsonl']);
    expect(r.code).toBe(0);
    for (const s of ['precision', 'in-scope accuracy', 'out-of-scope recall', 'talk_to_human -> handoff', 'confusion'])
      expect(r.stdout).toContain(s);
  });

  it('exits 1 when a target is set out of reach, and 2 on a bad file', async () => {
    expect((await runEvalMain(['data/intents/eval.jsonl', '--min-accuracy', '1'])).code).toBe(1);
    const bad = join(mkdtempSync(join(tmpdir(), 'gw-eval-e2e-')), 'bad.jsonl');
    writeFileSync(bad, '{"text":"hi","intent":"out_of_scope"}\n{oops\n');
    const r = await runEvalMain([bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 2:');
  });
});
