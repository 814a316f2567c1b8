import { MappingError } from '../../../mappers/mapping-error.js';
import { timed } from './budget.js';
import { fingerprint, prototypeSnapshot, samePrototypes } from './json.js';

/** What the properties need of a contract schema. */
export interface Schema {
  safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { message: string } };
}

export type Outcome<T> = { ok: true; result: T } | { ok: false; error: MappingError };

/**
 * The contract every legacy → contract mapper keeps on any input: it returns or throws a MappingError, nothing else,
 * within SLOW_CALL_MS; it leaves its input exactly as it was (keys, order, types, prototypes) and the shared prototypes
 * untouched. A returned value is already in contract form: the schema parses it to an equal value.
 */
export function checkMapping<T>(
  what: string,
  input: unknown,
  run: (input: unknown) => T,
  schema: Schema,
  contractValue: (result: T) => unknown = (r) => (r as { value: unknown }).value,
): Outcome<T> {
  const before = fingerprint(input);
  const prototypes = prototypeSnapshot();
  let outcome: Outcome<T>;
  try {
    outcome = { ok: true, result: timed(what, () => run(input)) };
  } catch (e) {
    if (!(e instanceof MappingError)) {
      const err = e as Error;
      throw new Error(`${what} threw ${err?.name ?? typeof e} (not a MappingError): ${err?.message}`, { cause: e });
    }
    outcome = { ok: false, error: e };
  }
  if (fingerprint(input) !== before) throw new Error(`${what} changed its input`);
  if (!samePrototypes(prototypeSnapshot(), prototypes)) throw new Error(`${what} changed a shared prototype`);
  if (outcome.ok) {
    const value = contractValue(outcome.result);
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new Error(`${what} returned a value its contract rejects: ${parsed.error.message}`);
    // zod drops an own `__proto__` key of a loose object (TicketV1's `via` carries legacy's extra keys) instead of
    // copying it: the one difference a re-parse may make.
    const canonical = { sortKeys: true, skipKeys: ['__proto__'] };
    if (fingerprint(parsed.data, canonical) !== fingerprint(value, canonical)) {
      throw new Error(`${what} returned a value the contract schema changes when parsing it`);
    }
  }
  return outcome;
}
