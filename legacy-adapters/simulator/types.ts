/**
 * Public types of the legacy simulator: a stand-in for the contact-center platform (Zendesk-like API, an older CRM,
 * a SOAP order service) that the gateway fronts. The demo and every integration test run it on a real socket.
 */

export interface SimulatorOptions {
  /** Listen address (default '127.0.0.1'). */
  host?: string;
  /** Listen port (default 8090; 0 = ephemeral). */
  port?: number;
  /**
   * Origin used in absolute URLs the simulator emits (links, Location, url fields). Default: its own listen origin,
   * e.g. http://127.0.0.1:8090. Never derived from the Host header.
   */
  publicOrigin?: string;
  /** Added latency per response in ms (default 0). */
  latencyMs?: number;
}

export type FaultMode = 'none' | 'slow' | 'reset' | 'error500' | 'down';

/**
 * Injected faults for `/api`, `/crm` and `/soap` (never `/_simulator`). `delayMs` is the wait for `slow` (default
 * 1000); for `down` it is optional and means "come back up by itself after delayMs" (useful over HTTP, where nobody
 * could otherwise bring the listener back).
 */
export interface SimulatorFaults {
  mode: FaultMode;
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes of the request body seen so far (final once the body has ended). */
  bodyBytes: number;
  bodySha256: string;
  at: number;
}

/** One applied state-changing operation. `key` is `<operation>:<resource id>`, e.g. `ticket.create:121`. */
export interface WriteRecord {
  key: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  at: number;
}

export interface Simulator {
  /** Listen origin, e.g. http://127.0.0.1:41234. */
  url: string;
  port: number;
  /** Closes server, websockets and open sockets promptly. */
  close(): Promise<void>;
  /** Back to seed data; clears request log, write log and faults. */
  reset(): void;
  setFaults(f: SimulatorFaults): void;
  /** Last 1000 requests received (control requests under /_simulator excluded), oldest first. */
  requests(): RecordedRequest[];
  /** Every state-changing operation applied. */
  writes(): WriteRecord[];
  /** Writes applied again although their Idempotency-Key had already been applied (0 while dedupe works). */
  duplicateWrites(): number;
}
