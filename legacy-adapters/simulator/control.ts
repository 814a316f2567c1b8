/**
 * `/_simulator/*`: the simulator's own control plane for out-of-process use (the compose demo, the CLI, e2e tests).
 * Never subject to faults or latency, and not recorded in the request log.
 */
import { readJson } from './body.js';
import { type Ctx, isRecord, sendEmpty, sendJson } from './http-util.js';
import type { RouteDef } from './router.js';
import type { RecordedRequest, SimulatorFaults, WriteRecord } from './types.js';

export interface SimulatorControls {
  reset(): void;
  /** Applies faults once the current response has been sent (so `down` can still answer). */
  setFaultsAfterResponse(ctx: Ctx, faults: SimulatorFaults): void;
  faults(): SimulatorFaults;
  requests(): RecordedRequest[];
  writes(): WriteRecord[];
  duplicateWrites(): number;
}

const MODES: readonly SimulatorFaults['mode'][] = ['none', 'slow', 'reset', 'error500', 'down'];

/** Validates a faults object from JSON; returns an error message when invalid. */
export function parseFaults(value: unknown): SimulatorFaults | string {
  if (!isRecord(value)) return 'body must be a JSON object';
  const mode = MODES.find((m) => m === value.mode);
  if (mode === undefined) return `mode must be one of ${MODES.join(', ')}`;
  const delayMs = value.delayMs;
  if (delayMs === undefined || delayMs === null) return { mode };
  if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > 600_000)
    return 'delayMs must be an integer between 0 and 600000';
  return { mode, delayMs };
}

export function controlRoutes(controls: SimulatorControls): RouteDef[] {
  return [
    {
      methods: ['GET'],
      pattern: '/_simulator/requests',
      handler: (ctx) => sendJson(ctx, 200, { requests: controls.requests() }),
    },
    {
      methods: ['GET'],
      pattern: '/_simulator/writes',
      handler: (ctx) => sendJson(ctx, 200, { writes: controls.writes(), duplicate_writes: controls.duplicateWrites() }),
    },
    {
      methods: ['POST'],
      pattern: '/_simulator/reset',
      handler: (ctx) => {
        controls.reset();
        sendEmpty(ctx, 204);
      },
    },
    {
      methods: ['GET'],
      pattern: '/_simulator/faults',
      handler: (ctx) => sendJson(ctx, 200, { faults: controls.faults() }),
    },
    {
      methods: ['POST'],
      pattern: '/_simulator/faults',
      body: 'handler',
      handler: async (ctx) => {
        const body = await readJson(ctx);
        if (body === null) return;
        const faults = parseFaults(body.value);
        if (typeof faults === 'string') {
          sendJson(ctx, 400, { error: 'InvalidFaults', description: faults });
          return;
        }
        controls.setFaultsAfterResponse(ctx, faults);
        sendJson(ctx, 200, { faults });
      },
    },
  ];
}
