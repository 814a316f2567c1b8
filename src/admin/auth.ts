import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from '../config.js';

export interface Principal {
  name: string;
  role: Role;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token check with constant-time comparison: tokens are compared as SHA-256 digests (equal length) and every
 * configured token is compared, so timing reveals neither a prefix nor which token matched.
 */
export function createAuthenticator(tokens: readonly { token: string; role: Role; name: string }[]) {
  const known = tokens.map((t) => ({ hash: digest(t.token), principal: { name: t.name, role: t.role } }));
  return (authorization: string | undefined): Principal | null => {
    if (!authorization?.startsWith('Bearer ')) return null;
    const given = digest(authorization.slice(7).trim());
    let found: Principal | null = null;
    for (const k of known) {
      if (timingSafeEqual(k.hash, given) && found === null) found = k.principal;
    }
    return found;
  };
}

/** Which roles may do what. Reading is open to every role; pins to those who own rollouts and incidents. */
export const PERMISSIONS = {
  read: ['viewer', 'qa', 'migration-lead', 'sre', 'admin'],
  pin: ['migration-lead', 'sre', 'admin'],
  /** Accepting or rejecting learned noise is QA's call. */
  noise: ['qa', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
