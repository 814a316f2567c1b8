/**
 * V8 flags the gateway runs with (bin shebang, npm scripts, Dockerfile, benchmark; test/src/runtime.test.ts keeps
 * them in step). Allocation-site pretenuring off: under sustained load V8 decided to allocate per-request objects
 * straight in the old generation, where each dead one kept its young referents alive through every scavenge until
 * the next full collection, so whole requests were promoted (~4 KB each), scavenges took 4–7 ms instead of ~1 ms and
 * the fixed-rate p99 was ~35 ms instead of ~3 ms. Measured with `npm run bench` and --trace-gc on 2 cores
 * (docs/decisions.md #13, which it replaces: the larger young generation of the first version treated the symptom).
 *
 * The young generation is held at its full size (16 MB semi-spaces, node 20's default maximum) and the memory reducer
 * is off. After a load spike and a quiet spell V8 shrank the young generation to 1 MB semi-spaces, so at a moderate
 * rate it scavenged three times as often and promoted more; and the memory reducer's heap-shrinking full collection
 * ran once the allocation rate fell, a 60–80 ms stall for the requests in flight (decision 13).
 *
 * The old generation is given 384 MB: what node picks itself in the shipped deployment's 768 MiB container
 * (deploy/k8s), so the heap behaves the same on a large host. Left to size itself from a 24 GiB host (a 4 GB limit),
 * V8 let promoted garbage pile up for about eight minutes before its first mark-compact (RSS +35 MB at 1000 req/s
 * with shadowing, then back down); with the limit it collects within the first two minutes and RSS stays within a
 * few MB (`npm run bench -- --soak`, decision 22). Live data is bounded well below it (the memory diff store by
 * `shadow.store.maxBytes`, shadow runs by `maxConcurrent`, bodies by their caps).
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = [
  '--no-allocation-site-pretenuring',
  '--min-semi-space-size=16',
  '--no-memory-reducer',
  '--max-old-space-size=384',
];
