/**
 * The legacy simulator (legacy-adapters/simulator, compiled) as the upstream of the AI targets: the conversation
 * API, the CRM and the SOAP order service that an intent slice reads, on a real socket, in its own pinned process.
 * Usage: node bench/servers/simulator.mjs
 */
import { startSimulator } from '../../dist/legacy-adapters/simulator/server.js';
import { announce, stopOnSignal } from './child-ipc.mjs';

const sim = await startSimulator({ host: '127.0.0.1', port: 0 });
announce({ url: sim.url });
stopOnSignal(() => sim.close());
