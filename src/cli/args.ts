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
  diffs                 shadow diff report from the admin API: a table (default), --json, or --html FILE
  replay <file.jsonl|file.har>
                        resend recorded traffic (the recorder's JSONL or a HAR file) through the gateway, wait
                        for its shadow comparisons and print the same report as 'diffs --replay <run id>'
                        (reads only by default; --include-writes resends writes too: test environments only)

Options:
  -c, --config <file>   YAML or JSON config file (environment variables override it)
  -f, --file <file>     flags file for 'flags' (default: GATEWAY_FLAGS_FILE or the config's flags.file)
  -p, --port <n>        simulator port (default 8090)
      --host <h>        simulator host (default 127.0.0.1)
  -h, --help            this text

Options of 'diffs' and 'replay' (the admin API is read with a Bearer token; any role may read):
      --admin <url>     admin API (default GATEWAY_ADMIN_URL or http://127.0.0.1:8081)
      --token <t>       admin token (default GATEWAY_ADMIN_TOKEN)
      --slice <id>  --result <class>  --field <path>  --tenant <t>  --channel <c>  --replay <run id>
                        filters; --result is one of match, value_mismatch, schema_error, mapping_gap,
                        candidate_error, candidate_timeout
      --since <t>       only records since an ISO time or a duration ago (10m, 2h, 7d)
      --json            print JSON instead of tables
      --records         list the records too (always listed in --html)
      --html <file>     write a self-contained HTML report (summary, records, field diffs side by side)
      --limit <n>       diffs: records listed (default 50); replay: requests sent (default all)
      --timeout <ms>    per request (default 10000)
Options of 'replay':
      --target <url>    the gateway's public origin (default http://127.0.0.1:8080)
      --rate <n>        requests per second (default 10; 0 = unlimited)
      --concurrency <n> requests in flight at most (default 4)
  -H, --header <h: v>   add or replace a header on every request (repeatable), e.g. a token the recording masked
      --wait <s>        wait at most this long for the shadow comparisons (default 15; 0 = no report)
      --include-writes  also resend POST/PUT/PATCH/DELETE (legacy applies them again; recorded bodies are masked)
      --direct          no gateway: send each request to --legacy and --candidate and compare the answers here
                        (JSON bodies field by field, no contract; masked like the gateway's diff records)
      --legacy <url>  --candidate <url>
                        the two origins of --direct
Exit codes: 0 done; 1 failed (admin API unreachable or token refused, requests failed); 2 bad usage or input.
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
      // diffs and replay
      admin: { type: 'string' },
      token: { type: 'string' },
      slice: { type: 'string' },
      result: { type: 'string' },
      field: { type: 'string' },
      tenant: { type: 'string' },
      channel: { type: 'string' },
      replay: { type: 'string' },
      since: { type: 'string' },
      json: { type: 'boolean' },
      records: { type: 'boolean' },
      html: { type: 'string' },
      limit: { type: 'string' },
      timeout: { type: 'string' },
      target: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      header: { type: 'string', short: 'H', multiple: true },
      wait: { type: 'string' },
      direct: { type: 'boolean' },
      'include-writes': { type: 'boolean' },
      legacy: { type: 'string' },
      candidate: { type: 'string' },
    },
  });
}
