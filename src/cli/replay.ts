import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ReplayRunStats } from '../shadow/report-html.js';
import {
  adminGet,
  adminSource,
  adminTarget,
  type CliEnv,
  CliError,
  collectReport,
  DEFAULT_TIMEOUT_MS,
  emitReport,
  intFlag,
  wantsRecords,
} from './diffs.js';
import { directComparer } from './replay-direct.js';
import { parseReplayInput } from './replay-input.js';
import { httpSender, progressSink, replayRequests } from './replay-send.js';
import { formatRunLine } from './report.js';

/**
 * `gateway replay <file>`: resends recorded traffic (the recorder's JSONL, or HAR 1.2) to the gateway's public port,
 * tagged `x-gateway-replay: <run id>`, at a bounded rate and concurrency; then waits for the gateway's shadow
 * comparisons of that run and prints the same report as `gateway diffs --replay <run id>`.
 */

export const DEFAULT_TARGET = 'http://127.0.0.1:8080';
const DEFAULT_RATE = 10;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_WAIT_S = 15;
/** The comparisons of a run are taken as complete once their count has not grown for this long. */
const SETTLE_MS = 1_000;
/** …but with nothing counted yet, give the gateway this long after the last request before giving up. */
const FIRST_RECORD_MS = 3_000;
const POLL_MS = 250;

type Write = (s: string) => void;

export interface ReplayFlags {
  admin?: string | undefined;
  token?: string | undefined;
  target?: string | undefined;
  rate?: string | undefined;
  concurrency?: string | undefined;
  limit?: string | undefined;
  json?: boolean | undefined;
  html?: string | undefined;
  records?: boolean | undefined;
  header?: string[] | undefined;
  wait?: string | undefined;
  timeout?: string | undefined;
  direct?: boolean | undefined;
  'include-writes'?: boolean | undefined;
  legacy?: string | undefined;
  candidate?: string | undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function originOf(flag: string, raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.origin;
  } catch {
    // reported below
  }
  throw new CliError(`--${flag} must be an http(s) URL, got ${JSON.stringify(raw)}`, 2);
}

function parseRate(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_RATE;
  const n = Number(raw.replace(/\s*\/\s*s$/, ''));
  if (!Number.isFinite(n) || n < 0 || n > 100_000) {
    throw new CliError(
      `--rate must be requests per second (e.g. 20 or 20/s; 0 = unlimited), got ${JSON.stringify(raw)}`,
      2,
    );
  }
  return n;
}

function parseHeaders(list: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list ?? []) {
    const i = h.indexOf(':');
    const name = i > 0 ? h.slice(0, i).trim().toLowerCase() : '';
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) {
      throw new CliError(`--header must look like "name: value", got ${JSON.stringify(h)}`, 2);
    }
    out[name] = h.slice(i + 1).trim();
  }
  return out;
}

export const newRunId = () =>
  `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(3).toString('hex')}`;

/**
 * Polls the summary of `replay=<runId>` until its total has not grown for SETTLE_MS (FIRST_RECORD_MS while it is
 * still 0), or `maxMs` passed. Returns the last total.
 */
export async function waitForComparisons(
  poll: () => Promise<number>,
  maxMs: number,
  now: () => number = () => performance.now(),
): Promise<number> {
  const start = now();
  let total = await poll();
  let changedAt = now();
  while (now() - start < maxMs) {
    if (now() - changedAt >= (total > 0 ? SETTLE_MS : FIRST_RECORD_MS)) break;
    await sleep(Math.min(POLL_MS, Math.max(0, maxMs - (now() - start))));
    const t = await poll();
    if (t !== total) {
      total = t;
      changedAt = now();
    }
  }
  return total;
}

export interface ReplayIo {
  /** Where progress goes (default process.stderr). */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  progressEveryMs?: number;
}

/** `gateway replay`. Returns the exit code. */
export async function runReplay(
  positionals: readonly string[],
  flags: ReplayFlags,
  env: CliEnv,
  out: Write,
  err: Write,
  io: ReplayIo = {},
): Promise<number> {
  try {
    const [file, ...extra] = positionals;
    if (!file || extra.length) throw new CliError('usage: gateway replay <file.jsonl|file.har> [options]', 2);
    let direct: { legacy: string; candidate: string } | null = null;
    if (flags.direct) {
      if (!flags.legacy || !flags.candidate)
        throw new CliError('--direct needs --legacy <url> and --candidate <url>', 2);
      if (flags.target) throw new CliError('--direct sends to --legacy and --candidate; drop --target', 2);
      direct = { legacy: originOf('legacy', flags.legacy), candidate: originOf('candidate', flags.candidate) };
    } else if (flags.legacy || flags.candidate) {
      throw new CliError('--legacy and --candidate go with --direct', 2);
    }
    const target = direct
      ? `${direct.legacy} ⇄ ${direct.candidate}`
      : originOf('target', flags.target ?? DEFAULT_TARGET);
    const rate = parseRate(flags.rate);
    const concurrency = intFlag('concurrency', flags.concurrency, DEFAULT_CONCURRENCY, 1, 1_000);
    const limit = intFlag('limit', flags.limit, Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
    const waitS = intFlag('wait', flags.wait, DEFAULT_WAIT_S, 0, 3_600);
    const timeoutMs = intFlag('timeout', flags.timeout, DEFAULT_TIMEOUT_MS, 1, 600_000);
    const extraHeaders = parseHeaders(flags.header);
    // Checked before any request is sent: a missing token should not cost a replay.
    const admin = !direct && waitS > 0 ? adminTarget(flags, env) : null;

    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as Error).message}`, 2);
    }
    const input = parseReplayInput(text, file);
    for (const s of input.skipped.slice(0, 10)) err(`replay: skipping entry ${s.n}: ${s.reason}`);
    if (input.skipped.length > 10) err(`replay: … ${input.skipped.length - 10} more entries skipped`);
    // Writes are applied again by whatever receives them: only on request (and never by accident in production).
    const safe = new Set(['GET', 'HEAD', 'OPTIONS']);
    const eligible = flags['include-writes'] ? input.requests : input.requests.filter((r) => safe.has(r.method));
    const writes = input.requests.length - eligible.length;
    if (writes > 0) err(`replay: ${writes} write request(s) not sent (reads only; --include-writes to resend them)`);
    const requests = eligible.slice(0, limit);
    if (!requests.length) throw new CliError(`${file}: no requests to replay`, 2);

    const runId = newRunId();
    err(
      `replay ${runId}: ${requests.length} requests from ${file} (${input.format}) to ${target}` +
        `${rate > 0 ? ` at ${rate}/s` : ''}, ${concurrency} at a time`,
    );
    const comparer = direct ? directComparer(runId, direct, timeoutMs, concurrency) : null;
    const sender = comparer ?? httpSender(target, timeoutMs, concurrency);
    let run: ReplayRunStats;
    try {
      run = await replayRequests(
        {
          requests,
          runId,
          send: (req, headers) => sender.send(req, headers),
          rate,
          concurrency,
          extraHeaders,
          progress: progressSink(io.progress ?? process.stderr, io.progressEveryMs),
        },
        target,
      );
      run.skipped = input.skipped.length + Math.max(0, input.requests.length - requests.length);
      err(formatRunLine(run));
      const failed = run.sent - run.answered;
      const filters = { replay: runId };
      const collect = { records: wantsRecords(flags), limit: Math.min(requests.length, 10_000) };

      if (comparer) {
        await emitReport({ ...(await collectReport(comparer.source, filters, collect)), run }, flags, out, err);
        return failed ? 1 : 0;
      }
      if (!admin) {
        if (flags.json) out(JSON.stringify({ run }, null, 2));
        return failed ? 1 : 0;
      }
      err(`replay ${runId}: waiting up to ${waitS} s for the gateway's shadow comparisons…`);
      const compared = await waitForComparisons(
        async () => (await adminGet<{ total: number }>(admin, '/admin/diffs/summary', filters)).total ?? 0,
        waitS * 1000,
      );
      if (!compared) {
        err(
          `replay ${runId}: no shadow comparisons recorded for this run (are the replayed routes' slices in shadow mode, with sampling above 0?)`,
        );
      }
      await emitReport({ ...(await collectReport(adminSource(admin), filters, collect)), run }, flags, out, err);
      return failed ? 1 : 0;
    } finally {
      await sender.close();
    }
  } catch (e) {
    if (e instanceof CliError) {
      err(`replay: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}
