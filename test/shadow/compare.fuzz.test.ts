import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TicketV1Schema } from '../../contracts/v1/ticket.js';
import { ticketFromLegacy, ticketToLegacy } from '../../mappers/ticket.js';
import { compareAnswers, decodeWire } from '../../src/shadow/compare/classify.js';
import { diffValues, TRUNCATED_PATH } from '../../src/shadow/compare/diff.js';
import { rulesFor } from '../../src/shadow/compare/infer.js';
import {
  type ComparatorName,
  type Effect,
  type FieldDiff,
  type FieldRule,
  RESULT_CLASSES,
  type SliceComparison,
} from '../../src/shadow/types.js';
import { FUZZ_TEST_TIMEOUT, fuzzProperty } from '../fuzz/support/budget.js';

import { ticketV1 } from '../helpers/arbitraries.js';

/** Levels a field path names: `a.b[2]["c.d"]` → 4 (a quoted key is one level, whatever it contains). */
const levels = (path: string) => (path.match(/\["(?:[^"\\]|\\.)*"\]|\[\d+\]|[^.[\]]+/g) ?? []).length;

/**
 * Properties of the comparison engine, on the fuzz budget of test/fuzz/support/budget.ts: each runs as many cases as
 * fit in a quarter of FUZZ_TIME_MS (cheap, like the string properties there), and FUZZ_SEED / FUZZ_PATH replay a
 * failure (docs/testing.md). A longer local run:
 * `FUZZ_TIME_MS=60000 npx vitest run -c vitest.dev.config.ts test/shadow/compare.fuzz.test.ts`.
 */
const SHARE = { share: 0.25 };

const COMPARATOR_NAMES: ComparatorName[] = ['strict', 'timestamp', 'phone', 'money', 'enum', 'set', 'text', 'ignore'];

/** Field paths a JSON value has (normalised), to hang rules on. */
function pathsOf(v: unknown, path = '', out: string[] = [], depth = 0): string[] {
  if (depth > 8) return out;
  if (Array.isArray(v)) for (const x of v) pathsOf(x, `${path}[]`, out, depth + 1);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const p = path === '' ? k : `${path}.${k}`;
      out.push(p);
      pathsOf(x, p, out, depth + 1);
    }
  }
  return out;
}

const rule: fc.Arbitrary<FieldRule> = fc.record(
  {
    comparator: fc.constantFrom(...COMPARATOR_NAMES),
    toleranceMs: fc.nat(10_000),
    threshold: fc.double({ min: 0, max: 1, noNaN: true }),
    region: fc.constantFrom('DE', 'US', 'GB', 'XX'),
  },
  { requiredKeys: ['comparator'] },
);

/** A JSON value with rules on some of its own paths. */
const valueWithRules = fc.jsonValue({ maxDepth: 6 }).chain((v) => {
  const paths = [...new Set(pathsOf(v))];
  const rules = paths.length
    ? fc.dictionary(fc.constantFrom(...paths), rule, { maxKeys: 6 })
    : fc.constant({} as Record<string, FieldRule>);
  return fc.tuple(fc.constant(v), rules);
});

/** Nesting far past the depth cap, of objects and arrays, with a differing leaf. */
const deepPair = fc
  .tuple(fc.integer({ min: 50, max: 5000 }), fc.jsonValue({ maxDepth: 1 }), fc.jsonValue({ maxDepth: 1 }))
  .map(([depth, x, y]) => {
    let a: unknown = x;
    let b: unknown = y;
    for (let i = 0; i < depth; i++) {
      a = i % 2 ? [a] : { k: a };
      b = i % 2 ? [b] : { k: b };
    }
    return [a, b] as const;
  });

const swap = (d: FieldDiff): FieldDiff => {
  const out: FieldDiff = {
    path: d.path,
    kind: d.kind === 'missing' ? 'extra' : d.kind === 'extra' ? 'missing' : 'changed',
    comparator: d.comparator,
  };
  if ('candidate' in d) out.legacy = d.candidate;
  if ('legacy' in d) out.candidate = d.legacy;
  return out;
};
const byPath = (a: FieldDiff, b: FieldDiff) => (a.path + a.kind < b.path + b.kind ? -1 : 1);

describe('diffValues properties', () => {
  it(
    'finds nothing between a JSON value and its deep copy, whatever the rules',
    () => {
      fuzzProperty(
        fc.property(valueWithRules, ([v, rules]) => {
          expect(diffValues(v, structuredClone(v), rules)).toEqual([]);
        }),
        SHARE,
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'finds nothing between a TicketV1 and its copy through the legacy wire format',
    () => {
      const rules = rulesFor(TicketV1Schema, { tags: { comparator: 'set' }, description: { comparator: 'text' } });
      fuzzProperty(
        fc.property(ticketV1, (t) => {
          const back = ticketFromLegacy(JSON.parse(JSON.stringify(ticketToLegacy(t)))).value;
          expect(diffValues(t, back, rules)).toEqual([]);
        }),
        SHARE,
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'never throws and stays within the caps for arbitrary pairs, deep nesting included',
    () => {
      const pair = fc.oneof(fc.tuple(fc.jsonValue(), fc.jsonValue()), fc.tuple(fc.anything(), fc.anything()), deepPair);
      fuzzProperty(
        fc.property(
          pair,
          fc.dictionary(fc.string({ maxLength: 6 }), rule, { maxKeys: 4 }),
          fc.integer({ min: 1, max: 30 }),
          fc.integer({ min: 1, max: 80 }),
          ([a, b], rules, maxDiffs, maxDepth) => {
            const diffs = diffValues(a, b, rules, { maxDiffs, maxDepth });
            expect(diffs.length).toBeLessThanOrEqual(maxDiffs + 1);
            expect(diffs.filter((d) => d.path === TRUNCATED_PATH).length).toBeLessThanOrEqual(1);
            for (const d of diffs) {
              expect(COMPARATOR_NAMES).toContain(d.comparator);
              // A path names at most maxDepth levels (keys with `.` or `[` in them are quoted: one level each).
              expect(levels(d.path)).toBeLessThanOrEqual(maxDepth + 2);
            }
          },
        ),
        SHARE,
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'is symmetric: swapping the sides swaps missing and extra and the two values',
    () => {
      fuzzProperty(
        fc.property(fc.jsonValue({ maxDepth: 5 }), fc.jsonValue({ maxDepth: 5 }), (a, b) => {
          const opts = { maxDiffs: 100_000 };
          const forth = diffValues(a, b, {}, opts).map(swap).sort(byPath);
          const back = diffValues(b, a, {}, opts).sort(byPath);
          expect(forth).toEqual(back);
        }),
        SHARE,
      );
    },
    FUZZ_TEST_TIMEOUT,
  );
});

describe('compareAnswers properties', () => {
  const tickets: SliceComparison = {
    contract: 'TicketV1',
    toContract(answer) {
      const { value, carry } = ticketFromLegacy((answer.json as { ticket?: unknown } | undefined)?.ticket);
      return { ok: true, value, unmodelled: carry.extra };
    },
    fields: rulesFor(TicketV1Schema, { tags: { comparator: 'set' } }),
  };
  const writes: SliceComparison = {
    ...tickets,
    legacyEffects: () => [],
    effectFields: { status: { comparator: 'enum' }, 'tags[]': { comparator: 'text' } },
  };

  const body = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
    ticketV1.map((t) => Buffer.from(JSON.stringify({ ticket: ticketToLegacy(t) }))),
    fc.jsonValue().map((v) => zlib.gzipSync(JSON.stringify(v) ?? '')),
  );
  const answer = fc
    .record({
      status: fc.oneof(fc.constantFrom(200, 201, 204, 404, 500), fc.integer({ min: 100, max: 599 })),
      encoding: fc.constantFrom(undefined, 'gzip', 'br', 'deflate', 'gzip, br', 'bogus'),
      body,
    })
    .map(({ status, encoding, body }) => decodeWire(status, encoding ? { 'content-encoding': encoding } : {}, body));
  const effect: fc.Arbitrary<Effect> = fc.record({
    system: fc.constantFrom('ticketing', 'crm'),
    operation: fc.constantFrom('ticket.create', 'ticket.update', 'crm.address'),
    target: fc.option(fc.constantFrom('1', '2', '10001'), { nil: null }),
    payload: fc.jsonValue({ maxDepth: 3 }),
  });
  const candidate = fc.oneof(
    fc.record({ ok: fc.constant(true as const), answer, effects: fc.array(effect, { maxLength: 4 }) }),
    fc.record({ ok: fc.constant(true as const), answer }),
    fc.record({ ok: fc.constant(false as const), timeout: fc.boolean(), error: fc.string() }),
  );

  it(
    'never throws and always gives a result class, for arbitrary answers, effects and noise',
    () => {
      fuzzProperty(
        fc.property(
          answer,
          candidate,
          fc.constantFrom(null, tickets, writes),
          fc.option(fc.array(effect, { maxLength: 4 }), { nil: undefined }),
          fc.func(fc.constantFrom(null, 'learned' as const, 'accepted' as const)),
          (legacy, cand, comparison, legacyEffects, noiseOf) => {
            const c = compareAnswers({
              slice: 's',
              comparison,
              legacy,
              candidate: cand,
              ...(legacyEffects ? { legacyEffects } : {}),
              noise: { noiseOf: (s, p) => noiseOf(s, p) },
            });
            expect(RESULT_CLASSES).toContain(c.result);
            expect(c.result === 'match').toBe(
              c.fields.length === 0 && c.gaps.length === 0 && c.schemaIssues.length === 0 && cand.ok,
            );
            for (const d of c.noise) expect(d.noise).toBeTruthy();
          },
        ),
        SHARE,
      );
    },
    FUZZ_TEST_TIMEOUT,
  );
});
