import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { Adapters } from '../../routes/types.js';

/** One endpoint of the contract API (new clients get v1/v2 contracts instead of legacy payloads). */
export interface ContractEndpoint<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  /** Route id for metrics and logs, e.g. `contracts.v1.tickets.get`. */
  id: string;
  method: 'GET' | 'POST';
  /** Path below `<prefix>/<version>`, find-my-way syntax. */
  path: string;
  version: 'v1' | 'v2';
  params: P;
  query: Q;
  /** Request body schema; omit for GET. */
  body?: B;
  /** The contract the answer conforms to (validated before sending). */
  response: z.ZodType;
  handle(
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> },
    ctx: ContractContext,
  ): Promise<{ status: number; body: unknown }>;
}

export interface ContractContext {
  adapters: Adapters;
  signal: AbortSignal;
  /** Client headers forwarded to legacy (credentials, trace context). */
  forwardHeaders: Record<string, string>;
  headers: IncomingHttpHeaders;
  recordGaps(paths: readonly string[]): void;
}
