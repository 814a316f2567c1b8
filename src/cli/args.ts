import { parseArgs } from 'node:util';

export const USAGE = `Usage: gateway <command> [options]

Commands:
  start                 run the gateway (production): config file + environment
  demo                  run the legacy simulator and the gateway on embedded defaults, and print what to try
  check                 validate a configuration; lists every problem with its path (exit 2 when invalid)
  simulator             run the legacy simulator alone
  classify "<text>"     classify a customer message (rules + local classifier, no LLM) and print it as JSON
  flags show            print the flags in a flags file
  flags set <slice> <serve|shadow> <0-100|on|off>
                        edit a flags file (atomic write; a running gateway picks it up within 2 s)
  flags kill-switch <on|off>
                        send every slice to legacy at once (or release the kill switch)

Options:
  -c, --config <file>   YAML or JSON config file (environment variables override it)
  -f, --file <file>     flags file for 'flags' (default: GATEWAY_FLAGS_FILE or the config's flags.file)
  -p, --port <n>        simulator port (default 8090)
      --host <h>        simulator host (default 127.0.0.1)
  -h, --help            this text
`;

export function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      file: { type: 'string', short: 'f' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
