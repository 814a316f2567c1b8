import { ConfigError, loadConfig, redactConfig } from '../config.js';

/** `gateway check`: exit 0 with a summary, or exit 2 listing every problem with its path. */
export function runCheck(file: string | undefined, out: (s: string) => void, err: (s: string) => void): number {
  try {
    const cfg = loadConfig(file ? { file } : {});
    out(`configuration ok${file ? ` (${file})` : ''}`);
    out(JSON.stringify(redactConfig(cfg), null, 2));
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`${e.message}${file ? ` in ${file}` : ''}:`);
      for (const p of e.problems) err(`  - ${p}`);
      return 2;
    }
    throw e;
  }
}
