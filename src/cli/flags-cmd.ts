import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { applyFlagChange, type ClientFeaturesDoc, emptyDoc, type FlagChange } from '../../flags/edit.js';
import { KILL_SWITCH, serveFlag, shadowFlag } from '../../flags/names.js';

function readDoc(file: string): ClientFeaturesDoc {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return emptyDoc();
  }
  const doc = JSON.parse(text) as ClientFeaturesDoc;
  if (!Array.isArray(doc.features)) throw new Error(`${file}: not a client-features document (no "features" array)`);
  return doc;
}

/** Atomic replace: write a sibling temp file, then rename over the original. */
function writeDoc(file: string, doc: ClientFeaturesDoc): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, file);
}

function parseValue(v: string | undefined): FlagChange {
  if (v === 'on') return { enabled: true };
  if (v === 'off') return { enabled: false };
  const n = Number(v?.replace(/%$/, ''));
  if (v === undefined || !Number.isFinite(n) || n < 0 || n > 100)
    throw new Error(`expected on, off or a percentage 0-100, got ${v ?? 'nothing'}`);
  return { rollout: n };
}

/** `gateway flags show|set|kill-switch`. Returns the exit code. */
export function runFlags(
  positionals: string[],
  file: string | undefined,
  out: (s: string) => void,
  err: (s: string) => void,
): number {
  if (!file) {
    err('no flags file: pass --file, or set GATEWAY_FLAGS_FILE / flags.file in the config');
    return 2;
  }
  const [sub, ...rest] = positionals;
  try {
    if (sub === 'show') {
      const doc = readDoc(file);
      for (const f of doc.features) {
        const rollouts = f.strategies
          .map((s) => (s.parameters?.rollout !== undefined ? `${String(s.parameters.rollout)}%` : s.name))
          .join(', ');
        out(`${f.enabled ? 'on ' : 'off'}  ${f.name}${rollouts ? `  (${rollouts})` : ''}`);
      }
      return 0;
    }
    if (sub === 'set') {
      const [slice, which, value] = rest;
      if (!slice || (which !== 'serve' && which !== 'shadow')) {
        err('usage: gateway flags set <slice> <serve|shadow> <0-100|on|off>');
        return 2;
      }
      const name = which === 'serve' ? serveFlag(slice) : shadowFlag(slice);
      writeDoc(file, applyFlagChange(readDoc(file), name, parseValue(value)));
      out(`${name} → ${value} (${file})`);
      return 0;
    }
    if (sub === 'kill-switch') {
      const v = rest[0];
      if (v !== 'on' && v !== 'off') {
        err('usage: gateway flags kill-switch <on|off>');
        return 2;
      }
      writeDoc(file, applyFlagChange(readDoc(file), KILL_SWITCH, { enabled: v === 'on' }));
      out(`${KILL_SWITCH} → ${v} (${file})`);
      return 0;
    }
    err('usage: gateway flags <show|set|kill-switch> …');
    return 2;
  } catch (e) {
    err(`flags: ${(e as Error).message}`);
    return 1;
  }
}
