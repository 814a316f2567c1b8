/**
 * The child side of the bench's process protocol: announce readiness over IPC, stop gracefully on SIGTERM/SIGINT or
 * a `stop` message (so `--cpu-prof` gets to write its profile), and die with the parent (IPC disconnect).
 */
export function announce(info) {
  if (process.send) process.send({ type: 'ready', pid: process.pid, ...info });
  else process.stdout.write(`${JSON.stringify({ type: 'ready', pid: process.pid, ...info })}\n`);
}

export function stopOnSignal(close) {
  let stopping = false;
  const stop = (code) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(code), 5_000);
    hard.unref();
    Promise.resolve()
      .then(close)
      .catch((err) => process.stderr.write(`close failed: ${err?.stack ?? err}\n`))
      .finally(() => process.exit(code));
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  process.on('message', (m) => {
    if (m?.type === 'stop') stop(0);
  });
  // The orchestrator is gone (crashed or killed): never outlive it.
  process.on('disconnect', () => stop(1));
}
