import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codeToEnum,
  decimalString,
  emptyToNull,
  enumToCode,
  isoToLegacyTimestamp,
  legacyTimestampToIso,
  nestedTooDeep,
  phoneToE164,
  stringToNumber,
} from '../../mappers/common.js';
import { type Field, mapFields, noteOriginals, renderFields, unmodelled } from '../../mappers/legacy-fields.js';
import { MappingError } from '../../mappers/mapping-error.js';
import { FUZZ_TEST_TIMEOUT, fuzz } from './support/budget.js';
import { hostileJson, hostileKey, hostileLeaf, hostileString, nest } from './support/hostile.js';
import { depthOf, fingerprint } from './support/json.js';

/**
 * The legacy-dialect converters every mapper is built from (mappers/common.ts) and the table-driven record mapping
 * (mappers/legacy-fields.ts), on hostile values: each returns its documented form or throws a MappingError.
 */

function mappingOr<T>(fn: () => T): T | MappingError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof MappingError) return e;
    throw e;
  }
}

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/St_Johns'];
/** Legacy `YYYYMMDD[ HHmmss]` stamps: mostly well-formed digits, some impossible ones, around DST changes too. */
const legacyStamp = fc.oneof(
  fc
    .record({
      y: fc.integer({ min: 1000, max: 9999 }),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 61 }),
      s: fc.integer({ min: 0, max: 61 }),
      dateOnly: fc.boolean(),
    })
    .map(({ y, mo, d, h, mi, s, dateOnly }) => {
      const p = (n: number) => String(n).padStart(2, '0');
      return `${y}${p(mo)}${p(d)}${dateOnly ? '' : ` ${p(h)}${p(mi)}${p(s)}`}`;
    }),
  fc.constantFrom('20240331 023000', '20241027 023000', '20240310 023000', '20241103 013000', '18930401 000000'),
  hostileString,
);

describe('legacy-dialect converters', () => {
  it(
    'numbers as strings: a finite number (a safe integer when asked), null for "no value", or a MappingError',
    () => {
      fuzz(
        fc.tuple(hostileLeaf, fc.boolean(), fc.integer({ min: 0, max: 4 })),
        ([v, integer, scale]) => {
          const n = mappingOr(() => stringToNumber(v, 'X', { integer }));
          if (n instanceof MappingError || n === null) {
            if (n === null) expect(v === null || (typeof v === 'string' && v.trim() === '')).toBe(true);
          } else {
            expect(Number.isFinite(n)).toBe(true);
            if (integer) expect(Number.isSafeInteger(n)).toBe(true);
            if (typeof v === 'string') expect(n).toBe(Number(v.trim()));
          }
          const d = mappingOr(() => decimalString(v, 'X', scale));
          if (typeof d === 'string') {
            const n = stringToNumber(v, 'X');
            expect(d).toMatch(scale === 0 ? /^[+-]?\d+$/ : new RegExp(`^[+-]?\\d*\\.\\d{${scale}}$`));
            // Within half a unit of the last place of the number it came from (or that number exactly).
            const exact = Number(d) === Number(typeof v === 'string' ? v.trim() : v);
            const close =
              Math.abs(Number(d) - Number(n)) <= 0.5 * 10 ** -scale * (1 + 1e-9) + Math.abs(Number(n)) * 1e-15;
            expect(exact || close, `${JSON.stringify(v)} → ${d}`).toBe(true);
          }
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'legacy timestamps: ISO UTC with seconds or a MappingError; legacy → ISO → legacy → ISO is stable in any zone',
    () => {
      fuzz(
        fc.tuple(legacyStamp, fc.constantFrom(...ZONES)),
        ([stamp, zone]) => {
          const iso = mappingOr(() => legacyTimestampToIso(stamp, 'TS', zone));
          if (iso === null) {
            expect(stamp.trim()).toBe('');
            return;
          }
          if (iso instanceof MappingError) return;
          expect(iso).toMatch(ISO_SECONDS);
          const dateOnly = stamp.trim().length === 8;
          const back = isoToLegacyTimestamp(iso, { timeZone: zone, dateOnly });
          expect(legacyTimestampToIso(back, 'TS', zone)).toBe(iso);
          // A wall time that exists (not in a spring-forward gap) comes back as it was written.
          if (zone === 'UTC') expect(back).toBe(stamp.trim());
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'phone numbers: E.164 or a MappingError, whatever the text and the default region',
    () => {
      const phone = fc.oneof(
        fc.constantFrom('0171 2345678', '+49 171 2345678', '(555) 010-1234', '0711/555123', '+1 202 555 0143 ext. 5'),
        fc.stringMatching(/^\+?[0-9 ()\-/.]{1,24}$/),
        hostileString,
      );
      const region = fc.constantFrom(null, 'DE', 'US', 'GB', 'XX', '', 'de', '__proto__', '419');
      fuzz(
        fc.tuple(phone, region),
        ([v, r]) => {
          const e164 = mappingOr(() => phoneToE164(v, 'PHONE', r));
          if (typeof e164 === 'string') expect(e164).toMatch(/^\+[1-9]\d{1,14}$/);
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'codes and empties: a known code maps and renders back, anything else is a MappingError',
    () => {
      const TABLE = { A: 'active', I: 'inactive', S: 'suspended' } as const;
      fuzz(
        fc.oneof(hostileJson, fc.constantFrom('A', ' a ', 'i', 'S\t', 'X', 'toString', '__proto__')),
        (v) => {
          const hit = mappingOr(() => codeToEnum(v, TABLE, 'CD'));
          if (!(hit instanceof MappingError)) {
            expect(Object.values(TABLE)).toContain(hit);
            expect(enumToCode(hit, TABLE)).toBe(String(v).trim().toUpperCase());
          }
          const e = mappingOr(() => emptyToNull(v, 'F'));
          if (e === null)
            expect(v === null || v === undefined || (typeof v === 'string' && v.trim() === '')).toBe(true);
          else if (!(e instanceof MappingError)) expect(e).toBe(v);
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'nesting check: agrees with the real depth of any value, thousands of levels deep too',
    () => {
      fuzz(
        fc.tuple(hostileJson, fc.integer({ min: 0, max: 3000 }), hostileKey),
        ([v, depth, key]) => {
          const deep = nest(v, depth, key);
          expect(nestedTooDeep(deep, 512)).toBe(depthOf(deep) > 512);
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );
});

interface Rec {
  a: string | null;
  n: number | null;
}
const FIELDS: readonly Field<Rec, null>[] = [
  { legacy: 'A', key: 'a', from: (v, p) => emptyToNull(v, p), to: (r) => r.a ?? '' },
  { legacy: 'N', key: 'n', from: (v, p) => stringToNumber(v, p), to: (r) => (r.n === null ? '' : String(r.n)) },
];
const KNOWN = new Set(['A', 'N']);

describe('table-driven record mapping (legacy-fields)', () => {
  it(
    'maps, carries and renders any flat record back to the same JSON, `__proto__` keys included, input untouched',
    () => {
      const record = fc
        .array(
          fc.tuple(
            fc.oneof(fc.constantFrom('A', 'N'), hostileKey),
            fc.oneof(hostileLeaf, fc.constantFrom('12', ' 1.50 ', '', 'x')),
          ),
          { maxLength: 8 },
        )
        .map((entries) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of entries)
            Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
          return out;
        });
      fuzz(
        record,
        (src) => {
          const before = fingerprint(src);
          const issues: string[] = [];
          const gaps: string[] = [];
          const extra = unmodelled(src, KNOWN, 'rec', gaps);
          const out = mapFields(FIELDS, src, 'rec', null, issues);
          expect(fingerprint(src)).toBe(before);
          expect(gaps).toEqual(
            Object.keys(src)
              .filter((k) => !KNOWN.has(k))
              .map((k) => `rec.${k}`),
          );
          expect(Object.keys(extra)).toEqual(Object.keys(src).filter((k) => !KNOWN.has(k)));
          if (issues.length > 0) return;
          const value = out as unknown as Rec;
          const originals = {};
          noteOriginals(FIELDS, src, value, null, '', originals);
          const rendered = Object.fromEntries(
            renderFields(FIELDS, value, null, { order: Object.keys(src), extra }, originals),
          );
          expect(JSON.stringify(rendered)).toBe(JSON.stringify(src));
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );
});
