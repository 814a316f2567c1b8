import { ZodError } from 'zod';
import { MappingError } from '../../mappers/mapping-error.js';
import { GatewayError } from '../errors.js';
import type { FallbackReason } from './plan.js';

/** The new path did not answer within the route's deadline. */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`new path exceeded its ${ms} ms deadline`);
    this.name = 'DeadlineError';
  }
}

/**
 * Runs `work` under a deadline: on expiry the controller is aborted (so adapters stop their calls) and the returned
 * promise rejects with a DeadlineError even if `work` ignores the signal. The timer never outlives the call.
 */
export async function withDeadline<T>(
  ms: number,
  ac: AbortController,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new DeadlineError(ms);
      ac.abort(e);
      reject(e);
    }, ms);
  });
  try {
    return await Promise.race([work(ac.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The new path answered with a 5xx status. */
export class NewPathStatusError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`new path answered ${status}`);
    this.name = 'NewPathStatusError';
    this.status = status;
  }
}

/** Maps a failure of the new path onto the fixed set of fallback reasons. */
export function classifyFailure(err: unknown): FallbackReason {
  if (err instanceof DeadlineError) return 'timeout';
  if (err instanceof NewPathStatusError) return 'status_5xx';
  if (err instanceof MappingError || err instanceof ZodError) return 'contract_invalid';
  if (err instanceof GatewayError) {
    if (err.code === 'GW_CONTRACT_INVALID' || err.code === 'GW_MAPPING_ERROR') return 'contract_invalid';
    if (err.code === 'GW_UPSTREAM_TIMEOUT' || err.code === 'GW_DEADLINE_EXCEEDED') return 'timeout';
  }
  return 'error';
}
