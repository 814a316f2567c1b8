#!/usr/bin/env -S node --no-allocation-site-pretenuring --min-semi-space-size=16 --no-memory-reducer --max-old-space-size=384 --single-threaded-gc
import { parseCli, USAGE } from './cli/args.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * Process entry: argument parsing, exit codes and signals. Nothing imports this module. Each command loads its own
 * modules (dynamic import), so `gateway diffs` does not pay for loading the gateway, the simulator and the AI models.
 */
const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      err(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        err(`shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

// `gateway check | head -1`: a closed stdout is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
}

process.on('unhandledRejection', (reason) => {
  err(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

/** The admin API client's settings (GATEWAY_ADMIN_URL, GATEWAY_ADMIN_TOKEN): a client's, not the gateway's config. */
// biome-ignore lint/style/noProcessEnv: client settings of 'diffs'/'replay', read once here and passed down
const cliEnv = () => process.env;

async function main(argv: string[]): Promise<number | null> {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli(argv);
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const [command, ...rest] = args.positionals;
  if (args.values.help || !command) {
    (command || args.values.help ? out : err)(USAGE);
    return args.values.help ? 0 : 2;
  }
  const configFile = args.values.config;
  switch (command) {
    case 'check':
      return (await import('./cli/check.js')).runCheck(configFile, out, err);
    case 'start': {
      const config = loadConfig(configFile ? { file: configFile } : {});
      const { startGateway } = await import('./gateway.js');
      const gw = await startGateway(config);
      onSignals(() => gw.close());
      return null;
    }
    case 'demo': {
      const demo = await (await import('./cli/demo.js')).runDemo(configFile);
      onSignals(() => demo.stop());
      return null;
    }
    case 'simulator': {
      const port = args.values.port === undefined ? 8090 : Number(args.values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        err(`--port must be 0-65535, got ${args.values.port}`);
        return 2;
      }
      const { startSimulator } = await import('../legacy-adapters/simulator/server.js');
      const sim = await startSimulator({ host: args.values.host ?? '127.0.0.1', port });
      err(`legacy simulator listening on ${sim.url}`);
      onSignals(() => sim.close());
      return null;
    }
    case 'classify':
      return (await import('./cli/classify.js')).runClassify(
        rest.join(' '),
        out,
        err,
        loadConfig(configFile ? { file: configFile } : {}).ai,
      );
    case 'flags': {
      let file = args.values.file;
      if (!file) {
        try {
          file = loadConfig(configFile ? { file: configFile } : {}).flags.file;
        } catch {
          file = undefined;
        }
      }
      return (await import('./cli/flags-cmd.js')).runFlags(rest, file, out, err);
    }
    case 'diffs':
      return (await import('./cli/diffs.js')).runDiffs(rest, args.values, cliEnv(), out, err);
    case 'replay':
      return (await import('./cli/replay.js')).runReplay(rest, args.values, cliEnv(), out, err);
    default:
      err(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof ConfigError) {
      err(`${e.message}:`);
      for (const p of e.problems) err(`  - ${p}`);
      process.exit(2);
    }
    err(`gateway failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
