/**
 * V8 flags the gateway runs with (bin shebang, npm scripts, Dockerfile, benchmark). A larger young generation
 * halves scavenges on the proxy hot path: measured with `npm run bench` on 2 cores, the p99 tail dropped from
 * ~2× to ~1.5× bare @fastify/http-proxy's and req/s rose ~15 % (docs/decisions.md #13).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
