/**
 * The "bare" baseline (CONVENTIONS: benchmarks): fastify 5 + @fastify/http-proxy 11 with only `{ upstream }`,
 * logger off. Usage: node bench/servers/bare.mjs <upstream-url>
 */
import fastifyHttpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { announce, stopOnSignal } from './child-ipc.mjs';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: bare.mjs <upstream-url>');

const app = Fastify({ logger: false });
await app.register(fastifyHttpProxy, { upstream });
await app.listen({ port: 0, host: '127.0.0.1' });
announce({ url: `http://127.0.0.1:${app.server.address().port}` });
stopOnSignal(() => app.close());
