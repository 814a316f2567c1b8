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
 *
 * Garbage collection runs on the thread that owns the heap (`--single-threaded-gc`: no parallel scavenging, no
 * concurrent marking or sweeping on V8's helper threads). With a CPU share of one core or less (the deployment asks
 * for 500m, the benchmark pins the gateway to one CPU), the helpers do not run beside the serving thread but instead
 * of it: each mark-compact's concurrent marking took the core for 40–50 ms while the event loop's own delay stayed
 * under 20 ms, and the fixed-rate p99.9 at 5,200 req/s was 35–39 ms against 6–13 ms with the flag; with 100 % shadow
 * (the comparison worker's collections ran on the same helpers, at normal priority) the p99 was 17–19 ms against
 * 3.6–6.4 ms (`npm run bench:ab`, decision 23). The marking is the same work done in small incremental steps instead.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = [
  '--no-allocation-site-pretenuring',
  '--min-semi-space-size=16',
  '--no-memory-reducer',
  '--max-old-space-size=384',
  '--single-threaded-gc',
];
