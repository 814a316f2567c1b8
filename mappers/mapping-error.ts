/** A legacy payload that breaks the legacy schema (→ fallback reason `contract_invalid` on new paths). */
export class MappingError extends Error {
  readonly issues: string[];
  constructor(message: string, issues: string[] = []) {
    super(issues.length ? `${message}: ${issues.join('; ')}` : message);
    this.name = 'MappingError';
    this.issues = issues;
  }
}

/** What a mapper could not place into the contract: carried through to the wire, counted as mapping gaps. */
export interface Carry {
  /** Legacy key order, so the rendered wire answer is byte-compatible. */
  order: string[];
  /** Legacy fields the contract does not model, by legacy key. */
  extra: Record<string, unknown>;
  /** Paths of those fields, for metrics and diffs. */
  gaps: string[];
}

export interface Mapped<T> {
  value: T;
  carry: Carry;
}
