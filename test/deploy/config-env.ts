import { isDeepStrictEqual } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config.js';

/** Environment variables the container runtime itself reads; not gateway configuration. */
const RUNTIME_ENV = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ']);

const baseline = loadConfig({ env: {} });

/**
 * Whether src/config.ts reads `name`: with some value it changes the loaded configuration or is rejected by the
 * schema. Asked through loadConfig rather than by reading its env table, so a renamed or dropped variable is caught
 * whatever the table looks like.
 */
export function isConfigEnv(name: string, value?: string): boolean {
  if (RUNTIME_ENV.has(name)) return true;
  const probes = [value, 'probe-value-0000000000000000', '7', 'true'].filter((v): v is string => v !== undefined);
  return probes.some((probe) => {
    try {
      return !isDeepStrictEqual(loadConfig({ env: { [name]: probe } }), baseline);
    } catch (err) {
      if (err instanceof ConfigError) return true;
      throw err;
    }
  });
}
