import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The project root (the folder with package.json), found from this module whether it runs from src/ (tests) or
 * dist/src/ (production). Data shipped with the gateway (data/: intent utterances, knowledge base, prompt catalog)
 * is resolved from here, so it works from any working directory.
 */
export const PROJECT_ROOT: string = (() => {
  let dir = resolve(import.meta.dirname);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
})();

export const dataPath = (...parts: string[]): string => join(PROJECT_ROOT, 'data', ...parts);
