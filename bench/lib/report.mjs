/**
 * Aggregation and output: medians over rounds, ratios against the same-run "bare" baseline, the verdict against the
 * issue's targets (gateway req/s ≥ bare, p99 no worse), a padded text table, and the markdown block that
 * BENCH_UPDATE_README=1 writes between <!-- bench:start --> and <!-- bench:end -->.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const MARK_START = '<!-- bench:start -->';
export const MARK_END = '<!-- bench:end -->';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** rounds: [{ rps, p50, p99, p999, non2xx, socketErrors, ... }] per target → one summary row per target. */
export function summarise(targets, roundsByTarget, rssByTarget) {
  const rows = targets.map((t) => {
    const rs = roundsByTarget.get(t.name) ?? [];
    const rps = rs.map((r) => r.rps);
    return {
      target: t.name,
      description: t.description,
      rounds: rs.length,
      rps: median(rps),
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      p999: median(rs.map((r) => r.p999)),
      cpuUsPerReq: median(rs.map((r) => r.serverUsPerReq ?? Number.NaN)),
      foreignPctMax: Math.max(...rs.map((r) => r.foreignPct ?? Number.NaN)),
      non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
      socketErrors: rs.reduce((s, r) => s + r.socketErrors, 0),
      rssMB: rssByTarget.get(t.name)?.rss ? rssByTarget.get(t.name).rss / 2 ** 20 : null,
      perRound: rs,
    };
  });
  const bare = rows.find((r) => r.target === 'bare');
  for (const r of rows) {
    r.rpsVsBare = bare ? r.rps / bare.rps : null;
    r.p99VsBare = bare ? r.p99 / bare.p99 : null;
    r.cpuVsBare = bare ? r.cpuUsPerReq / bare.cpuUsPerReq : null;
    // The targets apply to the gateway rows only: req/s at least bare's, p99 no worse than bare's.
    if (!r.target.startsWith('gateway') || !bare) r.verdict = '';
    else {
      const missed = [r.rpsVsBare >= 1 ? null : 'req/s', r.p99VsBare <= 1 ? null : 'p99'].filter(Boolean);
      r.verdict = missed.length ? `FAIL (${missed.join(', ')})` : 'PASS';
    }
  }
  return rows;
}

const f1 = (x) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(1));
const f2 = (x) => (x === null || Number.isNaN(x) ? '–' : x.toFixed(2));
const f0 = (x) => (x === null || Number.isNaN(x) ? '–' : Math.round(x).toString());

const COLUMNS = [
  ['target', (r) => r.target],
  ['req/s (median)', (r) => f0(r.rps)],
  ['spread (min–max)', (r) => `${f0(r.rpsMin)}–${f0(r.rpsMax)}`],
  ['p50 ms', (r) => f2(r.p50)],
  ['p99 ms', (r) => f2(r.p99)],
  ['p99.9 ms', (r) => f2(r.p999)],
  ['req/s vs bare', (r) => f2(r.rpsVsBare)],
  ['p99 vs bare', (r) => f2(r.p99VsBare)],
  ['CPU µs/req', (r) => f0(r.cpuUsPerReq)],
  ['CPU vs bare', (r) => f2(r.cpuVsBare)],
  ['other load', (r) => (Number.isNaN(r.foreignPctMax) ? '–' : `${f0(r.foreignPctMax)}%`)],
  ['errors', (r) => `${r.non2xx + r.socketErrors}`],
  ['RSS MB', (r) => f1(r.rssMB)],
  ['issue target', (r) => r.verdict],
];

export function textTable(rows) {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function markdownTable(rows) {
  const head = `| ${COLUMNS.map(([h]) => h).join(' | ')} |`;
  const sep = `| ${COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`;
  return [head, sep, ...rows.map((r) => `| ${COLUMNS.map(([, f]) => f(r)).join(' | ')} |`)].join('\n');
}

function placement(t) {
  if (t.server === null) return 'processes not pinned';
  return `servers on CPU ${t.server}, upstream on CPU ${t.upstream}, load generator on CPU ${t.load}`;
}

export function markdownBlock(rows, meta) {
  return [
    MARK_START,
    `Measured with \`${meta.command}\` on ${meta.date.slice(0, 16).replace('T', ' ')} UTC at \`${meta.git}\`` +
      ` (${meta.nproc} CPUs, ${meta.cpuModel}, node ${meta.node},` +
      ` ${meta.tool}; ${meta.rounds} interleaved rounds × ${meta.duration} s after ${meta.warmup} s warm-up,` +
      ` ${meta.connections} connections; ${placement(meta.topology)}). Ratios are against the same run's` +
      ' bare fastify + @fastify/http-proxy; "CPU µs/req" is the server process\'s own CPU time per request,' +
      ' "other load" the worst share of the server\'s CPU taken by processes outside the bench during a run;' +
      ' "errors" = non-2xx + socket errors; "issue target": gateway req/s ≥ bare and p99 ≤ bare.' +
      ' Method and caveats: docs/benchmark.md.',
    ...(meta.contended?.length
      ? ['', `**Contended rows** (other processes' worst share of the server CPU): ${meta.contended.join(', ')}.`]
      : []),
    '',
    markdownTable(rows),
    MARK_END,
  ].join('\n');
}

/** Replaces the marked block in file. Returns false (and changes nothing) when the file or a marker is missing. */
export function replaceMarkedBlock(file, block) {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(MARK_START);
  const b = text.indexOf(MARK_END);
  if (a === -1 || b === -1 || b < a) return false;
  writeFileSync(file, text.slice(0, a) + block + text.slice(b + MARK_END.length));
  return true;
}
