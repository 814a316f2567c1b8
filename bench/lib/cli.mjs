/** Command-line options of the bench's helper scripts (bench/ab.mjs, bench/aged.mjs, bench/timeline.mjs). */
import { parseArgs } from 'node:util';

/**
 * Parses `--name value` options and positionals. numbers: name → default, each must be a positive number (returned
 * as a number; 0 too where the default is 0, an option that is off unless given); strings: name → default; booleans: names of flags (false unless given). Throws with the option's
 * name on a bad number.
 */
export function parseBenchArgs({ numbers, strings = {}, booleans = [] }) {
  const options = {};
  for (const [name, d] of Object.entries({ ...numbers, ...strings }))
    options[name] = { type: 'string', default: String(d) };
  for (const name of booleans) options[name] = { type: 'boolean', default: false };
  const { values, positionals } = parseArgs({ allowPositionals: true, options });
  const out = { ...values };
  for (const name of Object.keys(numbers)) {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && numbers[name] !== 0))
      throw new Error(`--${name} must be a positive number, got "${values[name]}"`);
    out[name] = n;
  }
  return { values: out, positionals };
}
