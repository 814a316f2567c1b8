#!/usr/bin/env node
import { runEval } from './cli/eval.js';
import { ConfigError } from './config.js';

/** Entry of `npm run eval -- <file.jsonl>` (no bin: a developer and CI tool, not an operator command). */
const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

runEval(process.argv.slice(2), out, err).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) {
      err(`${e.message}:`);
      for (const p of e.problems) err(`  - ${p}`);
      process.exitCode = 2;
      return;
    }
    err(`eval failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);
