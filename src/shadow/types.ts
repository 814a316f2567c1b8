import type { EncodedRecord } from './store/query.js';

/**
 * Shared vocabulary of the shadow / QA workflow (DESIGN.md §6): result classes, comparators, field-level diffs,
 * intended effects of dry-run writes, and the stored diff record. Pure types; no behaviour.
 */

/** How one shadow comparison ended. `match` may still carry noise (differences on noisy or accepted paths). */
export type ResultClass =
  | 'match'
  | 'value_mismatch'
  | 'schema_error'
  | 'mapping_gap'
  | 'candidate_error'
  | 'candidate_timeout';

export const RESULT_CLASSES: readonly ResultClass[] = [
  'match',
  'value_mismatch',
  'schema_error',
  'mapping_gap',
  'candidate_error',
  'candidate_timeout',
];

/**
 * Typed comparators. `strict` is deep equality; `timestamp` equal within a tolerance; `phone` equal as E.164;
 * `money` equal as decimals (amount + currency); `enum` case-insensitive; `set` arrays compared without order;
 * `text` free text by a similarity score against a threshold; `ignore` never differs.
 */
export type ComparatorName = 'strict' | 'timestamp' | 'phone' | 'money' | 'enum' | 'set' | 'text' | 'ignore';

export interface FieldRule {
  comparator: ComparatorName;
  /** `timestamp`: allowed difference in ms (default 1000). */
  toleranceMs?: number;
  /** `text`: minimum similarity in [0,1] (default 0.8). */
  threshold?: number;
  /** `phone`: default region for numbers without a country code (default from config, e.g. DE). */
  region?: string;
}

/**
 * Comparator per field path. Paths are dotted; array elements are `[]` (`customFields[].value`, `tags`). A path
 * not listed falls back to what the contract schema says about it (enums → `enum`, ISO datetimes → `timestamp`,
 * …; see src/shadow/compare) and finally to `strict`.
 */
export type FieldRules = Readonly<Record<string, FieldRule>>;

/** One field that differs. `path` is concrete (`tags`, `customFields[2].value`, `$status`, `$effects[0].payload.city`). */
export interface FieldDiff {
  path: string;
  /** `changed`: both present, unequal; `missing`: legacy has it, candidate not; `extra`: the other way round. */
  kind: 'changed' | 'missing' | 'extra';
  comparator: ComparatorName;
  legacy?: unknown;
  candidate?: unknown;
  /** `text`: the similarity found; `timestamp`: the difference in ms. */
  score?: number;
  /** Set when the path is known noise: learned from two legacy answers, or accepted by QA as expected. */
  noise?: 'learned' | 'accepted';
}

export interface SchemaIssue {
  side: 'legacy' | 'candidate';
  path: string;
  message: string;
}

/** A side effect a write made (legacy) or would have made (a dry-run candidate). */
export interface Effect {
  /** Legacy system: `ticketing`, `crm`, `conversations`, `orders`. */
  system: string;
  /** Operation, named like the simulator's write log: `ticket.create`, `ticket.update`, `crm.address`, … */
  operation: string;
  /** The resource written (`5`, `10001`); null when legacy assigns it (create). */
  target: string | null;
  /** What was (or would be) written, on the slice's contract where one exists. */
  payload: unknown;
}

/** One side's answer as the wire carried it (bodies decoded from gzip/br/deflate). */
export interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body parsed as JSON when it is JSON. */
  json: unknown | undefined;
}

/** One side mapped onto the slice's contract. */
export type ContractSide =
  | {
      ok: true;
      /** The contract value. */
      value: unknown;
      /**
       * Wire fields the contract does not model, by wire path, with their values (carried through by the mapper).
       * Contract fields agreeing while these differ is a `mapping_gap`.
       */
      unmodelled: Readonly<Record<string, unknown>>;
    }
  | { ok: false; issues: SchemaIssue[] };

/**
 * What a slice tells the shadow runner about comparing its answers: the contract both sides are mapped onto, how
 * to map a wire answer, and the comparator rules. Declared next to the route (routes/*).
 */
export interface SliceComparison {
  /** Contract name with version, e.g. `TicketV1`. */
  contract: string;
  /** Maps a 2xx wire answer onto the contract (`side` names whose answer it is, for schema issues). */
  toContract(answer: WireAnswer, side: 'legacy' | 'candidate'): ContractSide;
  fields: FieldRules;
  /** For write slices: the effects legacy applied, derived from the client's request and legacy's answer. */
  legacyEffects?(request: { method: string; path: string; body: Buffer | null }, answer: WireAnswer): Effect[];
  /** Comparator rules for effect payloads (paths inside `payload`). */
  effectFields?: FieldRules;
}

/** Noise knowledge the comparison consults: is a path of a slice noise, and why. */
export interface NoiseView {
  noiseOf(slice: string, path: string): 'learned' | 'accepted' | null;
}

/** The outcome of one comparison, before masking and storage. */
export interface Comparison {
  result: ResultClass;
  /** Real differences (affect the result). */
  fields: FieldDiff[];
  /** Differences on noisy or accepted paths (shown apart; do not affect the result). */
  noise: FieldDiff[];
  schemaIssues: SchemaIssue[];
  /** Wire paths outside the contract that differ (`mapping_gap`). */
  gaps: string[];
  /** Candidate failure text for `candidate_error` / `candidate_timeout`. */
  error?: string;
}

/** One side as stored: status, body (masked), effects for writes. */
export interface StoredSide {
  status: number | null;
  /** The contract value when mapping worked, else the (masked) JSON body, else null. */
  body: unknown;
  effects?: Effect[];
  /** Candidate only: how long it took. */
  durationMs?: number;
  /**
   * Candidate only: its legacy reads that were answered with legacy's answer to the client instead of a second call
   * (`shadow.primedReads`): both sides then saw the same legacy data, and the duration has no legacy round trip.
   */
  primedReads?: number;
}

/** A stored diff record: masked, ready for QA. */
export interface DiffRecord extends Comparison {
  id: string;
  /** ISO timestamp. */
  at: string;
  slice: string;
  route: string;
  requestId: string;
  tenant: string | null;
  channel: string | null;
  contract: string | null;
  method: string;
  /** Path with secret query params redacted. */
  path: string;
  legacy: StoredSide;
  candidate: StoredSide;
  /** Replay run id (`x-gateway-replay` header) when the request came from `gateway replay`. */
  replay?: string | null;
}

export interface DiffQuery {
  slice?: string;
  result?: ResultClass;
  /** Records with a real difference on this field path (prefix match on the normalised path, `[]` for indexes). */
  field?: string;
  tenant?: string;
  channel?: string;
  replay?: string;
  /** ISO timestamp: only records at or after it. */
  since?: string;
  /** Opaque cursor from the previous page. */
  cursor?: string;
  /** Page size (default 50, max 500). */
  limit?: number;
}

export interface DiffPage {
  items: DiffRecord[];
  nextCursor: string | null;
}

export interface SliceSummary {
  slice: string;
  total: number;
  byResult: Record<ResultClass, number>;
  /** (value_mismatch + schema_error + mapping_gap) / (total − candidate_error − candidate_timeout); null with no data. */
  mismatchRate: number | null;
  /** Field paths (normalised, `[]` for indexes) with the most real differences. */
  topFields: Array<{ path: string; count: number }>;
  /** Noisy paths seen (not counted as differences). */
  noiseFields: Array<{ path: string; count: number }>;
}

export interface DiffSummary {
  total: number;
  slices: SliceSummary[];
  byTenant: Array<{ tenant: string; total: number; mismatches: number }>;
  byChannel: Array<{ channel: string; total: number; mismatches: number }>;
}

/** Where diff records live: memory by default, Redis Streams (capped) with REDIS_URL. Records arrive masked. */
export interface DiffStore {
  readonly backend: 'memory' | 'redis';
  /** A masked record, or one the comparison worker already encoded (src/shadow/store/query.ts `encodeForStore`). */
  add(record: DiffRecord | EncodedRecord): Promise<void>;
  list(query: DiffQuery): Promise<DiffPage>;
  get(id: string): Promise<DiffRecord | undefined>;
  summary(query: Omit<DiffQuery, 'cursor' | 'limit'>): Promise<DiffSummary>;
  close(): Promise<void>;
}
