import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { dataPath } from '../../paths.js';
import { quoteUntrusted } from '../guardrails/injection.js';
import { containsPii } from '../guardrails/pii.js';

/**
 * The versioned prompt catalog: one YAML file per prompt version, `data/prompts/<id>.v<version>.yaml`. Every answer,
 * metric and log line records `id`, `version` and `hash`, so a log proves which text a model was given. Prompts are
 * changed by adding a new version file; old versions stay for replays and A/B comparison.
 */

const NAME = /^[a-z][a-z0-9_]*$/;

export const PromptFileSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    version: z.number().int().positive(),
    description: z.string().min(1),
    system: z.string().min(1),
    user: z.string().min(1),
    maxOutputTokens: z.number().int().positive().max(4096).optional(),
    /**
     * Placeholders whose values come from outside the gateway's code (customer text, tool results, KB articles):
     * render fences them with `quoteUntrusted`, so no caller can forget to.
     */
    untrusted: z.array(z.string().regex(NAME)).default([]),
  })
  .strict();
export type PromptFile = z.infer<typeof PromptFileSchema>;

export interface Prompt {
  id: string;
  /** The file's integer version as a string, as `StructuredRequest.promptVersion` carries it. */
  version: string;
  description: string;
  system: string;
  user: string;
  maxOutputTokens?: number;
  untrusted: readonly string[];
  /** Every `{{name}}` in system and user, sorted. */
  placeholders: readonly string[];
  /** sha256 of system + user, first 12 hex: the same hash means the same text. */
  hash: string;
  file: string;
}

export interface RenderedPrompt {
  id: string;
  version: string;
  hash: string;
  system: string;
  user: string;
  maxOutputTokens?: number;
}

export type PromptVars = Readonly<Record<string, string | number>>;

export interface PromptCatalog {
  /** The given version, or the latest. Throws PromptNotFoundError. */
  get(id: string, version?: string): Prompt;
  /** Every prompt version, sorted by id then version. */
  list(): readonly Prompt[];
  /** Fills every placeholder of `get(id, version)`; throws PromptRenderError on unknown or missing vars, or PII. */
  render(id: string, vars: PromptVars, version?: string): RenderedPrompt;
}

export class PromptCatalogError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`prompt catalog is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PromptCatalogError';
    this.problems = problems;
  }
}

export class PromptNotFoundError extends Error {
  constructor(id: string, version: string | undefined) {
    super(`no prompt ${id}${version === undefined ? '' : ` version ${version}`} in the catalog`);
    this.name = 'PromptNotFoundError';
  }
}

export class PromptRenderError extends Error {
  constructor(id: string, version: string, problem: string) {
    super(`cannot render prompt ${id} v${version}: ${problem}`);
    this.name = 'PromptRenderError';
  }
}

export interface CatalogOptions {
  /**
   * Refuse to render a var in which the PII detector still finds something (default true): a handler that forgot
   * `redactPii` fails (→ handoff) instead of sending PII to a model.
   */
  rejectPii?: boolean;
}

const TOKEN = /\{\{\s*([^{}]*?)\s*\}\}/g;

function placeholdersOf(text: string, where: string, problems: string[]): string[] {
  const names: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const name = m[1] ?? '';
    if (NAME.test(name)) names.push(name);
    else problems.push(`${where}: "${m[0]}" is not a placeholder name (lowercase, digits, _)`);
  }
  // Braces that are not part of a whole {{name}} would be sent to the model verbatim: almost surely a typo.
  const rest = text.replace(TOKEN, '');
  if (rest.includes('{{') || rest.includes('}}')) problems.push(`${where}: unbalanced "{{" or "}}"`);
  return names;
}

function loadFile(dir: string, file: string, problems: string[]): Prompt | null {
  const path = join(dir, file);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'), { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    problems.push(`${file}: not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return null;
  }
  const parsed = PromptFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) problems.push(`${file}: ${i.path.join('.') || '(root)'}: ${i.message}`);
    return null;
  }
  const p = parsed.data;
  const before = problems.length;
  const expected = `${p.id}.v${p.version}.yaml`;
  if (basename(file).replace(/\.yml$/, '.yaml') !== expected) {
    problems.push(`${file}: must be named ${expected} (id and version inside the file)`);
  }
  const placeholders = [
    ...new Set([
      ...placeholdersOf(p.system, `${file}: system`, problems),
      ...placeholdersOf(p.user, `${file}: user`, problems),
    ]),
  ].sort();
  for (const u of p.untrusted) {
    if (!placeholders.includes(u)) problems.push(`${file}: untrusted "${u}" is not a placeholder of the prompt`);
  }
  if (problems.length > before) return null;
  return {
    id: p.id,
    version: String(p.version),
    description: p.description,
    system: p.system,
    user: p.user,
    ...(p.maxOutputTokens === undefined ? {} : { maxOutputTokens: p.maxOutputTokens }),
    untrusted: p.untrusted,
    placeholders,
    hash: createHash('sha256').update(`${p.system}\u0000${p.user}`).digest('hex').slice(0, 12),
    file,
  };
}

/** Loads and validates every `*.yaml` in `dir`; any problem in any file throws one PromptCatalogError listing all. */
export function loadPromptCatalog(dir: string = dataPath('prompts'), opts: CatalogOptions = {}): PromptCatalog {
  const problems: string[] = [];
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch (err) {
    throw new PromptCatalogError([
      `${dir}: cannot read the folder: ${err instanceof Error ? err.message : String(err)}`,
    ]);
  }
  if (files.length === 0) problems.push(`${dir}: no prompt files`);
  const byId = new Map<string, Prompt[]>();
  for (const file of files) {
    const prompt = loadFile(dir, file, problems);
    if (!prompt) continue;
    const versions = byId.get(prompt.id) ?? [];
    const dup = versions.find((v) => v.version === prompt.version);
    if (dup) problems.push(`${file}: duplicate ${prompt.id} v${prompt.version} (also in ${dup.file})`);
    else versions.push(prompt);
    byId.set(prompt.id, versions);
  }
  if (problems.length > 0) throw new PromptCatalogError(problems);
  for (const versions of byId.values()) versions.sort((a, b) => Number(a.version) - Number(b.version));
  const all = [...byId.values()]
    .flat()
    .sort((a, b) => a.id.localeCompare(b.id) || Number(a.version) - Number(b.version));
  const rejectPii = opts.rejectPii ?? true;

  function get(id: string, version?: string): Prompt {
    const versions = byId.get(id);
    const found = version === undefined ? versions?.at(-1) : versions?.find((v) => v.version === version);
    if (!found) throw new PromptNotFoundError(id, version);
    return found;
  }

  function render(id: string, vars: PromptVars, version?: string): RenderedPrompt {
    const p = get(id, version);
    const fail = (problem: string): never => {
      throw new PromptRenderError(p.id, p.version, problem);
    };
    const names = Object.keys(vars);
    const unknown = names.filter((n) => !p.placeholders.includes(n));
    if (unknown.length > 0) fail(`unknown vars ${unknown.join(', ')} (placeholders: ${p.placeholders.join(', ')})`);
    const missing = p.placeholders.filter((n) => !Object.hasOwn(vars, n));
    if (missing.length > 0) fail(`missing vars ${missing.join(', ')}`);
    const values = new Map<string, string>();
    for (const n of p.placeholders) {
      const v = String(vars[n]);
      // Name only, never the value: this message may be logged.
      if (rejectPii && containsPii(v)) fail(`var ${n} contains PII; redact it first`);
      values.set(n, p.untrusted.includes(n) ? quoteUntrusted(v) : v);
    }
    // One pass over the template: a value containing "{{x}}" is never expanded again.
    const fill = (t: string): string => t.replace(TOKEN, (_m, n: string) => values.get(n) ?? '');
    return {
      id: p.id,
      version: p.version,
      hash: p.hash,
      system: fill(p.system),
      user: fill(p.user),
      ...(p.maxOutputTokens === undefined ? {} : { maxOutputTokens: p.maxOutputTokens }),
    };
  }

  return { get, list: () => all, render };
}
