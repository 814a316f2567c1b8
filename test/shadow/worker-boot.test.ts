import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { loadConfig } from '../../src/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { waitFor } from '../helpers/transparency.js';

/**
 * The comparison worker is started with the gateway, not by the first shadow run: loading it beside client traffic
 * stalled the event loop for about 2 s (docs/benchmark.md, session 9). Uses dist/'s worker (`npm test` builds first).
 */
const lines: { msg?: string; schedIdle?: boolean }[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
    cb();
  },
});

let sim: Simulator;
let gw: RunningGateway;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
  const config = loadConfig({ env: {}, overrides: { port: 0, adminPort: 0, legacy: { url: sim.url } } });
  gw = await startGateway(config, { logger: createLogger({ level: 'info', destination: sink }) });
});
afterAll(async () => {
  await gw.close();
  await sim.close();
});

describe('comparison worker at start-up', () => {
  it('is loaded and ready before any request has been shadowed', async () => {
    await waitFor(
      () => lines.some((l) => l.msg?.startsWith('comparison worker started')),
      15_000,
      'the comparison worker to start without traffic',
    );
    expect(lines.filter((l) => l.msg === 'request')).toHaveLength(0);
  });
});
