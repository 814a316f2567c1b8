import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (`npm run test:chaos`, also run by `npm test`): steady load through the gateway while legacy,
 * new handlers, the LLM, Redis, Unleash and the flags file fail and heal. Files are `test/chaos/*.chaos.ts`, so the
 * normal run never picks them up. One file at a time: the load generator, the gateway and the faulty components share
 * two cores, and timing faults (slow legacy, deadlines) must not be distorted by another scenario's load.
 */
// biome-ignore lint/style/noDefaultExport: vitest reads the config from the default export
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.ts'],
    globalSetup: ['test/chaos/setup.global.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
