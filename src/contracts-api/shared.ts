import { z } from 'zod';
import { Errors, GatewayError } from '../errors.js';

export const NoQuery = z.object({}).strict();

/** Legacy non-2xx answers become problems with the legacy status (404 stays 404). */
export function legacyStatusError(status: number, system: string, what: string): GatewayError {
  if (status === 404) return Errors.NOT_FOUND.create({ detail: `${what} not found`, target: 'legacy', system });
  return new GatewayError('GW_LEGACY_STATUS', status >= 500 ? 502 : status, `${system} answered ${status}`, {
    expose: true,
    target: 'legacy',
    system,
  });
}
