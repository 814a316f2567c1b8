/**
 * Aggregation and output: medians over rounds, ratios against each target's same-run baseline (bare for the proxies,
 * gateway-slice for shadow and canary, gateway-ai-legacy for the AI slice), the verdict against the issue's targets,
 * padded text tables (saturation and fixed rate), and the markdown block that BENCH_UPDATE_README=1 writes between
 * <!-- bench:start --> and <!-- bench:end -->.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { pooledPercentile } from './quantiles.mjs';

export const MARK_START = '<!-- bench:start -->';
export const MARK_END = '<!-- bench:end -->';
const MB = 2 ** 20;

export function median(xs) {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const maxOf = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x));
  return v.length ? Math.max(...v) : Number.NaN;
};
/** Sum of the reported values; null when none was reported. */
const sumOf = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x));
  return v.length ? v.reduce((a, b) => a + b, 0) : null;
};

/** Request-weighted mean of a per-request figure (CPU µs per request) over rounds; NaN when none reported it. */
function weighted(rs, key) {
  const v = rs.filter((r) => typeof r[key] === 'number' && !Number.isNaN(r[key]) && r.requests > 0);
  const n = v.reduce((s, r) => s + r.requests, 0);
  return n ? v.reduce((s, r) => s + r[key] * r.requests, 0) / n : Number.NaN;
}

/**
 * One target's rounds pooled: req/s = all requests ÷ all measured seconds; p50 / p99 / p99.9 of all requests together
 * (bench/lib/quantiles.mjs; the median of the rounds' own figures when a run reported no quantile grid, as
 * autocannon's do); CPU per request weighted by requests.
 */
export function pooled(rs) {
  const runs = rs.map((r) => ({ n: r.requests, q: r.q }));
  const grids = runs.every((r) => Array.isArray(r.q));
  const pct = (p, key) => (grids ? pooledPercentile(runs, p) : median(rs.map((r) => r[key])));
  const seconds = rs.reduce((s, r) => s + (r.seconds ?? Number.NaN), 0);
  return {
    rps: seconds > 0 ? rs.reduce((s, r) => s + r.requests, 0) / seconds : median(rs.map((r) => r.rps)),
    p50: pct(50, 'p50'),
    p99: pct(99, 'p99'),
    p999: pct(99.9, 'p999'),
    cpuUsPerReq: weighted(rs, 'serverUsPerReq'),
    mainUsPerReq: weighted(rs, 'serverMainUsPerReq'),
  };
}

/**
 * The rounds a target's figures pool: all of them, except, from six rounds on, the one with the highest p99. A stall
 * of the machine of several hundred ms (measured: a fixed-rate window at 443 ms p99 between windows at 20–60 ms, the
 * VM's, not the gateway's: bare had them too) holds so many requests that it would set the p99 of everything pooled
 * with it; one window in eight is left out for every target alike, baselines included, and the tables say which.
 * A cost that recurs (a collection every few seconds) is in the other windows and stays counted.
 */
export function keptRounds(rs) {
  const all = rs.map((r, i) => ({ r, i }));
  if (rs.length < 6) return { kept: all, leftOut: null };
  let worst = 0;
  for (let i = 1; i < rs.length; i++) if (rs[i].p99 > rs[worst].p99) worst = i;
  return { kept: all.filter((x) => x.i !== worst), leftOut: { round: worst + 1, p99: rs[worst].p99 } };
}

/** Rounds 1, 3, 5, … and 2, 4, 6, … (by round index, so a target's half and its baseline's are the same rounds). */
const halvesOf = (kept) => [0, 1].map((parity) => kept.filter((x) => x.i % 2 === parity).map((x) => x.r));

/**
 * rounds: [{ requests, seconds, rps, p50, p99, p999, q, non2xx, socketErrors, serverUsPerReq, foreignPct, window: {
 * rss, eld } }] per target → one summary row per target (every round pooled), with ratios against its baseline row,
 * the same ratios over each half of the rounds (how far the figure moves within the run), and the issue's verdict.
 */
export function summarise(targets, roundsByTarget, baselineOf = (t) => t.baseline) {
  const rows = targets.map((t) => {
    const rs = roundsByTarget.get(t.name) ?? [];
    const rps = rs.map((r) => r.rps);
    const last = rs.at(-1)?.window;
    const { kept, leftOut } = keptRounds(rs);
    return {
      target: t.name,
      description: t.description,
      rounds: rs.length,
      targetRate: rs[0]?.targetRate ?? null,
      ...pooled(kept.map((x) => x.r)),
      leftOut,
      halves: rs.length >= 2 ? halvesOf(kept).map(pooled) : null,
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
      p99Min: Math.min(...rs.map((r) => r.p99)),
      p99Max: Math.max(...rs.map((r) => r.p99)),
      max: maxOf(rs.map((r) => r.max)),
      sendLagP99: maxOf(rs.map((r) => r.sendLagP99)),
      foreignPctMax: maxOf(rs.map((r) => r.foreignPct ?? Number.NaN)),
      non2xx: rs.reduce((s, r) => s + r.non2xx, 0),
      socketErrors: rs.reduce((s, r) => s + r.socketErrors, 0),
      rssMB: last?.rss ? last.rss / MB : null,
      eldP99: median(rs.map((r) => r.window?.eld?.p99 ?? Number.NaN)),
      eldMax: maxOf(rs.map((r) => r.window?.eld?.max ?? Number.NaN)),
      // Full collections inside the measured windows, all rounds together (null: the server did not report them).
      gcMajor: sumOf(rs.map((r) => r.window?.gc?.major)),
      gcMajorMs: sumOf(rs.map((r) => r.window?.gc?.majorMs)),
      perRound: rs,
    };
  });
  for (const r of rows) {
    const t = targets.find((x) => x.name === r.target);
    const base = rows.find((x) => x.target === baselineOf(t));
    r.baseline = base ? base.target : null;
    r.issue = t.issue ?? null;
    r.rpsRatio = base ? r.rps / base.rps : null;
    r.p99Ratio = base ? r.p99 / base.p99 : null;
    r.cpuRatio = base ? r.cpuUsPerReq / base.cpuUsPerReq : null;
    r.halfRatios =
      base && r.halves && base.halves
        ? r.halves.map((h, i) => ({ rps: h.rps / base.halves[i].rps, p99: h.p99 / base.halves[i].p99 }))
        : null;
    r.verdict = '';
    if (t.issue && base && t.issue.rps !== undefined) {
      const missed = [r.rpsRatio >= t.issue.rps ? null : 'req/s', r.p99Ratio <= t.issue.p99 ? null : 'p99'];
      const m = missed.filter(Boolean);
      r.verdict = m.length ? `FAIL (${m.join(', ')})` : 'PASS';
    }
  }
  return rows;
}

const f1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(1));
const f2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(2));
const f0 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Math.round(x).toString());
const pct = (x) => (x === null || Number.isNaN(x) ? '–' : `${f0(x)}%`);
/** A ratio with the same ratio over each half of the rounds: `1.04 (0.98 / 1.09)`. */
const withHalves = (r, key) => {
  const whole = r[`${key}Ratio`];
  return r.halfRatios ? `${f2(whole)} (${r.halfRatios.map((h) => f2(h[key])).join(' / ')})` : f2(whole);
};

const SATURATION = [
  ['target', (r) => r.target],
  ['req/s', (r) => f0(r.rps)],
  [
    'rounds (min–max)',
    (r) => `${f0(r.rpsMin)}–${f0(r.rpsMax)}${r.leftOut ? ` (left out: round ${r.leftOut.round})` : ''}`,
  ],
  ['p50 ms', (r) => f2(r.p50)],
  ['p99 ms', (r) => f2(r.p99)],
  ['p99.9 ms', (r) => f2(r.p999)],
  ['baseline', (r) => r.baseline ?? ''],
  ['req/s vs baseline (halves)', (r) => withHalves(r, 'rps')],
  ['p99 vs baseline (halves)', (r) => withHalves(r, 'p99')],
  ['CPU µs/req (main thread)', (r) => `${f0(r.cpuUsPerReq)} (${f0(r.mainUsPerReq)})`],
  ['CPU vs baseline', (r) => f2(r.cpuRatio)],
  ['loop delay p99 / max ms', (r) => `${f1(r.eldP99)} / ${f1(r.eldMax)}`],
  ['RSS MB', (r) => f1(r.rssMB)],
  ['other load', (r) => pct(r.foreignPctMax)],
  ['errors', (r) => `${r.non2xx + r.socketErrors}`],
  ['issue target', (r) => r.verdict],
];

const FIXED_RATE = [
  ['target', (r) => r.target],
  ['rate req/s (achieved)', (r) => `${f0(r.targetRate)} (${f0(r.rps)})`],
  ['p50 ms', (r) => f2(r.p50)],
  ['p99 ms', (r) => f2(r.p99)],
  [
    "rounds' p99 (min–max)",
    (r) => `${f2(r.p99Min)}–${f2(r.p99Max)}${r.leftOut ? ` (left out: round ${r.leftOut.round})` : ''}`,
  ],
  ['p99.9 ms', (r) => f2(r.p999)],
  ['max ms', (r) => f1(r.max)],
  ['baseline', (r) => r.baseline ?? ''],
  ['p99 vs baseline (halves)', (r) => withHalves(r, 'p99')],
  ['CPU µs/req (main thread)', (r) => `${f0(r.cpuUsPerReq)} (${f0(r.mainUsPerReq)})`],
  ['loop delay p99 / max ms', (r) => `${f1(r.eldP99)} / ${f1(r.eldMax)}`],
  ['full GCs (pause ms)', (r) => (r.gcMajor === null ? '–' : `${r.gcMajor} (${f0(r.gcMajorMs)})`)],
  ['RSS MB', (r) => f1(r.rssMB)],
  ['other load', (r) => pct(r.foreignPctMax)],
  ['errors', (r) => `${r.non2xx + r.socketErrors}`],
];

function cellsOf(columns, rows) {
  return [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => f(r)))];
}

function text(columns, rows) {
  const cells = cellsOf(columns, rows);
  const widths = columns.map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const line = (c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function markdown(columns, rows) {
  const [head, ...body] = cellsOf(columns, rows);
  const sep = columns.map((_, i) => (i === 0 ? '---' : '---:'));
  return [head, sep, ...body].map((c) => `| ${c.join(' | ')} |`).join('\n');
}

export const textTable = (rows) => text(SATURATION, rows);
export const textRateTable = (rows) => text(FIXED_RATE, rows);

function placement(t) {
  if (t.server === null) return 'processes not pinned';
  return `servers on CPU ${t.server}, upstream on CPU ${t.upstream}, load generator on CPU ${t.load}`;
}
const niceNote = (meta) =>
  (meta.nice === null || meta.nice === undefined ? '' : `; bench processes at nice ${meta.nice}`) +
  (meta.gatewayNodeFlags ? `; gateway node flags \`${meta.gatewayNodeFlags.join(' ') || '(none)'}\`` : '');

/** One line per gateway target from its metrics after the run (what the traffic really did). */
export function trafficLines(gateway) {
  const fmt = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [];
  for (const [name, g] of Object.entries(gateway)) {
    const t = g.traffic;
    if (!t) continue;
    const parts = [`served by ${fmt(t.servedBy)}`, `fallbacks ${fmt(t.fallbacks)}`];
    if (Object.keys(t.shadowComparisons).length || Object.keys(t.shadowSkipped).length) {
      parts.push(`shadow comparisons ${fmt(t.shadowComparisons)}`, `shadow skipped ${fmt(t.shadowSkipped)}`);
    }
    if (Object.keys(t.aiAnswers).length) parts.push(`AI answers ${fmt(t.aiAnswers)}`, `handoffs ${t.handoffs}`);
    if (t.mappingGaps) parts.push(`mapping gaps ${t.mappingGaps}`);
    if (t.autoRollbacks || t.pinned) parts.push(`auto-rollbacks ${t.autoRollbacks}, pinned slices ${t.pinned}`);
    lines.push(`- \`${name}\`: ${parts.join('; ')}`);
  }
  return lines;
}

/** The issue's RSS-drift target against a soak result, one line. */
export function soakVerdict(soak) {
  const d = soak.drift;
  return (
    `RSS drift ≤ 10 % over a soak (${soak.meta.minutes} min at ${soak.meta.rate} req/s, passthrough + 100 % shadow): ` +
    `${f1(d.firstMB)} → ${f1(d.lastMB)} MB, ${d.rssDriftPct >= 0 ? '+' : ''}${f1(d.rssDriftPct)} % → ` +
    `${d.rssDriftPct <= 10 ? 'PASS' : 'FAIL'}` +
    (soak.foreignPctMax > 5 ? ` (contended: up to ${f0(soak.foreignPctMax)} % of the server CPU taken by others)` : '')
  );
}

/** The soak result as one README line (from .bench/soak.json), or null. */
export function soakLine(soak) {
  if (!soak) return null;
  const d = soak.drift;
  const verdict = d.rssDriftPct <= 10 ? 'PASS' : 'FAIL';
  return (
    `Soak (\`${soak.meta.command}\`${niceNote(soak.meta)}, ${soak.meta.date.slice(0, 16).replace('T', ' ')} UTC at \`${soak.meta.git}\`): ` +
    `${soak.meta.minutes} min at ${soak.meta.rate} req/s (passthrough + tickets.get shadowed at 100 %), ` +
    `RSS ${f1(d.firstMB)} MB in the first minute after a ${soak.meta.warmupSeconds} s warm-up → ${f1(d.lastMB)} MB in the last: ` +
    `drift **${f1(d.rssDriftPct)} %** (target ≤ 10 %: ${verdict}); heap used ${f1(d.heapFirstMB)} → ${f1(d.heapLastMB)} MB; ` +
    `event-loop delay p99 ${f1(soak.eld.p99)} ms (worst 10 s window ${f1(soak.eld.worstP99)} ms, max ${f1(soak.eld.max)} ms); ` +
    `latency p50 ${f2(soak.load.p50)} / p99 ${f2(soak.load.p99)} / p99.9 ${f2(soak.load.p999)} ms; ` +
    `errors ${soak.load.non2xx + soak.load.socketErrors}; shadow comparisons ${soak.traffic.shadowComparisonsTotal}, ` +
    `skipped ${soak.traffic.shadowSkippedTotal}.` +
    (soak.fullCollections !== undefined ? ` Full collections during the soak: ${soak.fullCollections}.` : '') +
    (soak.afterCollection
      ? ` Live heap at the end (after a full collection) ${f1(soak.afterCollection.heapMB)} MB (RSS then ${f1(soak.afterCollection.rssMB)} MB; the heap ` +
        "figures above include garbage waiting for V8's next mark-compact)."
      : '') +
    (soak.foreignPctMax > 5 || soak.load.sendLagP99 > 5
      ? ` **Contended:** other processes took up to ${f0(soak.foreignPctMax)} % of the server CPU in a 10 s window` +
        ` and the generator sent late by ${f1(soak.load.sendLagP99)} ms at p99, so the latency and loop-delay figures` +
        " are the machine's, not the gateway's; the drift compares two minutes of the same process."
      : '')
  );
}

export function markdownBlock({ rows, rateRows, meta, gateway, soak, verdicts }) {
  const rate = meta.rate;
  return [
    MARK_START,
    `Measured with \`${meta.command}\` on ${meta.date.slice(0, 16).replace('T', ' ')} UTC at \`${meta.git}\`` +
      ` (${meta.nproc} CPUs, ${meta.cpuModel}, node ${meta.node},` +
      ` ${meta.tool}; ${meta.rounds} interleaved rounds × ${meta.duration} s after ${meta.warmup} s warm-up,` +
      ` ${meta.connections} connections; ${placement(meta.topology)}${niceNote(meta)}` +
      `${meta.freeze ? '; the other servers of the fleet frozen while one is warmed up and measured' : ''}). Every figure pools the rounds of a` +
      ' target, all but the one with the highest p99 from six rounds on (req/s = their requests ÷ their measured seconds;' +
      ' p50 / p99 / p99.9 of all their requests together; "rounds" the spread of the rounds\' own figures, all of them). Ratios are against each row\'s same-run baseline, in brackets' +
      ' the same ratio over the odd and over the even rounds alone (how far it moves within the run);' +
      ' "CPU µs/req" is the server process\'s own CPU time per request (in brackets its main thread\'s:' +
      " the rest is the comparison worker, V8's helpers and libuv's pool); \"loop delay\" the server's" +
      ' event-loop delay (median of the rounds\' p99, worst max); "other load" the worst share of the server\'s CPU' +
      ' taken by anything but the measured server and its upstream during a run; "full GCs" the full (mark-compact) collections inside the' +
      ' measured windows of all rounds, with their summed pauses; "errors" = non-2xx + socket errors.' +
      ' Method and caveats: docs/benchmark.md.',
    ...(meta.contended?.length
      ? ['', `**Contended rows** (other processes' worst share of the server CPU): ${meta.contended.join(', ')}.`]
      : []),
    '',
    `**Saturation** (${meta.tool.split(' ')[0]}, closed loop, ${meta.connections} connections):`,
    '',
    markdown(SATURATION, rows),
    ...(rateRows?.length
      ? [
          '',
          `**Fixed rate** ${rate.value} req/s (${rate.source}; open loop, latency from each request's due time, ` +
            `${meta.rateDuration} s per target per round, ${meta.rounds} rounds):`,
          '',
          markdown(FIXED_RATE, rateRows),
        ]
      : []),
    '',
    'Gateway metrics after the run (pre-flight and warm-ups included):',
    '',
    ...trafficLines(gateway),
    '',
    ...(soak ? [soakLine(soak), ''] : ['Soak: not run yet (`npm run bench -- --soak`).', '']),
    '**Issue targets:**',
    '',
    ...verdicts.map((v) => `- ${v}`),
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
