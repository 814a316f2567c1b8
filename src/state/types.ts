/** An admin pin: the slice is served by legacy whatever its flags say, until a person un-pins it. */
export interface Pin {
  slice: string;
  /** `manual` for a person's pin; `auto_rollback` when the rollback rule fired. */
  reason: string;
  by: string;
  at: string;
  note: string;
}

export interface AuditEntry {
  at: string;
  actor: string;
  role: string;
  action: string;
  slice?: string;
  reason?: string;
  note?: string;
}

/**
 * A replica's open circuit breaker, shared so that every replica stops sending the slice to its new path while one
 * has found it failing. `openUntil` is epoch ms (0: the breaker that published it has closed again).
 */
export interface SharedBreaker {
  slice: string;
  openUntil: number;
  /** The replica whose breaker opened (`hostname:pid`). */
  replica: string;
  at: string;
  calls: number;
  failures: number;
}

/**
 * Shared state port. Reads are synchronous from a local cache (never on the hot path over the network);
 * writes are async. The local implementation is the embedded default; Redis shares it across replicas.
 */
export interface StateStore {
  readonly backend: 'memory' | 'redis';
  getPin(slice: string): Pin | undefined;
  pins(): Pin[];
  pin(pin: Pin): Promise<void>;
  /**
   * Pins only when no replica has pinned the slice yet (atomic in Redis): true when this call made the pin. The
   * automatic pin-back uses it so the rule fires once across all replicas.
   */
  pinIfAbsent(pin: Pin): Promise<boolean>;
  unpin(slice: string): Promise<Pin | undefined>;
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  audit(limit: number): Promise<AuditEntry[]>;
  /** Epoch ms until which some replica's breaker holds the slice open (0 or past: none does). Local read. */
  breakerOpenUntil(slice: string): number;
  /** Every breaker entry known (open or recently closed), for the admin view. */
  breakers(): SharedBreaker[];
  /** Announces this replica's breaker opening (or closing, with openUntil 0) to the others. */
  publishBreaker(entry: SharedBreaker): Promise<void>;
  /** Whether the shared backend answers (always true for memory); the gateway keeps serving either way. */
  healthy(): boolean;
  onChange(listener: () => void): () => void;
  close(): Promise<void>;
}
