import fc from 'fast-check';
import { expect } from 'vitest';
import { preview } from './json.js';

/**
 * Time budget and replay for the fuzz properties. Every property runs as many cases as fit in FUZZ_TIME_MS (default
 * 2 s, so the fuzz files stay within ~30 s of `npm test`); `npm run fuzz` sets 60 s. A failure prints fast-check's
 * report with its seed and path: `FUZZ_SEED=<seed> FUZZ_PATH=<path>` replays exactly that case (pick the one property
 * with `-t`). docs/testing.md has the commands.
 */
export const FUZZ_TIME_MS = Number(process.env.FUZZ_TIME_MS ?? 2000);
const SEED = process.env.FUZZ_SEED;
const PATH = process.env.FUZZ_PATH;
/** The long local mode: bigger hostile strings too (the CI budget keeps every case in the millisecond range). */
export const LONG_MODE = FUZZ_TIME_MS >= 10_000;
/** A single mapping call slower than this is a failure: super-linear work on bounded input is a hang in waiting. */
export const SLOW_CALL_MS = Number(process.env.FUZZ_SLOW_MS ?? 3000);
/** Vitest's own timeout for one property: the budget, plus shrinking a failure and a slow machine. */
export const FUZZ_TEST_TIMEOUT = FUZZ_TIME_MS + 60_000;

export function fuzzParameters<T>(timeMs = FUZZ_TIME_MS): fc.Parameters<T> {
  return {
    // The time decides, not the count (numRuns only has to be out of reach).
    numRuns: 1_000_000_000,
    plugins: [fc.interruptAfterTimeLimit(timeMs)],
    ...(SEED === undefined ? {} : { seed: Number(SEED) }),
    ...(PATH === undefined ? {} : { path: PATH }),
  };
}

/** A generated case, printed by `preview` in failure reports (fast-check's printer overflows on deep inputs). */
class Case<T> {
  readonly value: T;
  constructor(value: T) {
    this.value = value;
  }
  [fc.toStringMethod](): string {
    return preview(this.value);
  }
}

export interface FuzzOptions {
  /**
   * Share of FUZZ_TIME_MS this property runs for (default 1). Cheap string functions reach tens of thousands of cases
   * in a fraction of the budget; the mappers get all of it.
   */
  share?: number;
}

/**
 * Runs `predicate` on cases of `arbitrary` within the budget. Throws fast-check's report (counterexample, seed, path)
 * on a failure, and fails when not a single case ran (a generator that never produces is no fuzzing).
 */
export function fuzz<T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => void,
  opts: FuzzOptions = {},
): fc.RunDetails<[Case<T>]> {
  const property = fc.property(
    arbitrary.map((v) => new Case(v)),
    (c) => predicate(c.value),
  );
  return fuzzProperty(property, opts);
}

/**
 * Checks a fast-check property within the budget: what `fuzz` does, for a property of several arbitraries built with
 * `fc.property` (its counterexamples are printed by fast-check's own printer).
 */
export function fuzzProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts>,
  opts: FuzzOptions = {},
): fc.RunDetails<Ts> {
  const details = fc.check(property, fuzzParameters<Ts>(FUZZ_TIME_MS * (opts.share ?? 1)));
  if (details.failed)
    throw new Error(fc.defaultReportMessage(details) ?? 'property failed', { cause: details.errorInstance });
  expect(details.numRuns, 'cases run within the budget').toBeGreaterThan(0);
  if (process.env.FUZZ_VERBOSE) console.info(`${details.numRuns} cases, ${details.numSkips} skipped`);
  return details;
}

/** Runs `fn`, failing the case when one call takes longer than SLOW_CALL_MS. */
export function timed<T>(what: string, fn: () => T): T {
  const start = performance.now();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    checkTime(what, start);
    throw e;
  }
  checkTime(what, start);
  return result;
}

function checkTime(what: string, start: number): void {
  const ms = performance.now() - start;
  if (ms > SLOW_CALL_MS) throw new Error(`${what} took ${Math.round(ms)} ms on one input (limit ${SLOW_CALL_MS} ms)`);
}
