import { createHash } from 'node:crypto';
import type { NoiseEntry } from './noise.js';
import { type DiffRecord, type DiffSummary, type FieldDiff, RESULT_CLASSES, type StoredSide } from './types.js';

/** What a diff report shows, whichever way it is rendered (table, JSON, HTML). */
export interface ReportData {
  /** ISO timestamp. */
  generatedAt: string;
  /** Where the data came from: the admin API URL, or `direct` for `gateway replay --direct`. */
  source: string;
  /** The filters applied (only the ones set). */
  filters: Readonly<Record<string, string | number>>;
  summary: DiffSummary & { backend?: string };
  noise: NoiseEntry[];
  /** Listed records (null when not asked for). */
  records: DiffRecord[] | null;
  /** More records matched than were listed. */
  recordsTruncated?: boolean;
  /** Set by `gateway replay`. */
  run?: ReplayRunStats;
}

export interface ReplayRunStats {
  runId: string;
  /** Target origin, or `legacy ⇄ candidate` origins for a direct run. */
  target: string;
  /** Requests in the input (after --limit). */
  requests: number;
  /** Entries skipped (body omitted by the recorder, unreplayable method or URL). */
  skipped: number;
  sent: number;
  /** Requests that got an HTTP answer (any status). */
  answered: number;
  /** Answers by status code. */
  byStatus: Record<string, number>;
  /** Requests without an answer, by error code (ECONNREFUSED, timeout, …). */
  errors: Record<string, number>;
  durationMs: number;
  /** Achieved requests per second. */
  rate: number;
}

/** The noise rows a report shows: paths seen as noise in the records, plus learned and accepted paths. */
export interface NoiseRow {
  slice: string;
  path: string;
  /** Records in the summary where this path differed as noise. */
  seen: number;
  status: NoiseEntry['status'] | 'unknown';
  entry?: NoiseEntry;
}

export function noiseRows(data: Pick<ReportData, 'summary' | 'noise'>): NoiseRow[] {
  const byKey = new Map<string, NoiseRow>();
  const key = (slice: string, path: string) => `${slice}\u0000${path}`;
  const entries = new Map(data.noise.map((e) => [key(e.slice, e.path), e]));
  for (const s of data.summary.slices) {
    for (const n of s.noiseFields) {
      const entry = entries.get(key(s.slice, n.path));
      byKey.set(key(s.slice, n.path), {
        slice: s.slice,
        path: n.path,
        seen: n.count,
        status: entry?.status ?? 'unknown',
        ...(entry ? { entry } : {}),
      });
    }
  }
  for (const e of data.noise) {
    const k = key(e.slice, e.path);
    if (byKey.has(k) || (e.status !== 'learned' && e.status !== 'accepted')) continue;
    byKey.set(k, { slice: e.slice, path: e.path, seen: 0, status: e.status, entry: e });
  }
  return [...byKey.values()].sort((a, b) => a.slice.localeCompare(b.slice) || b.seen - a.seen);
}

export const formatRate = (rate: number | null): string => (rate === null ? '–' : `${(rate * 100).toFixed(1)}%`);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const MAX_PRE = 20_000;

/** A JSON value for a `<pre>`: pretty-printed, capped, escaped. `undefined` is shown as absent. */
function json(value: unknown): string {
  if (value === undefined) return '<span class="absent">(absent)</span>';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value, null, 2) ?? String(value));
  } catch {
    text = String(value);
  }
  if (text.length > MAX_PRE) text = `${text.slice(0, MAX_PRE)}\n… (${text.length - MAX_PRE} more characters)`;
  return escapeHtml(text);
}

const td = (v: unknown, cls?: string) => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</td>`;
const num = (v: number) => td(v, 'n');

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1400px;padding:1rem 1.5rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #d6dae3}
h3{font-size:1rem;margin:0}
table{border-collapse:collapse;margin:.3rem 0 .8rem}th,td{border:1px solid #d6dae3;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f7}td.n{text-align:right;font-variant-numeric:tabular-nums}
.meta{color:#5a6275}.absent{color:#8a91a3;font-style:italic}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace}
.r-match{color:#1d7a3a}.r-value_mismatch,.r-schema_error,.r-mapping_gap{color:#b3261e}.r-candidate_error,.r-candidate_timeout{color:#a05a00}
article.record{border:1px solid #d6dae3;border-radius:6px;margin:0 0 1rem;padding:.6rem .8rem}
article.record[hidden]{display:none}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:.8rem;margin:.5rem 0}
.side{border:1px solid #e3e6ed;border-radius:4px;padding:.4rem;overflow:auto;max-height:32rem}
table.fields{width:100%}table.fields td:nth-child(3),table.fields td:nth-child(4){width:30%}
tr.noise{color:#6b7285;background:#fafbfc}.tag{display:inline-block;border-radius:3px;padding:0 .3rem;font-size:12px;background:#e9ecf2}
.filters{display:flex;gap:.6rem;align-items:center;margin:.4rem 0 .8rem}.filters[hidden]{display:none}
`;

// Filtering is a convenience: without JS every record is shown and the report reads the same.
const SCRIPT = `
(function(){
var box=document.getElementById('filters');if(!box)return;box.hidden=false;
var q=document.getElementById('f-text'),s=document.getElementById('f-slice'),r=document.getElementById('f-result'),c=document.getElementById('f-count');
var items=document.querySelectorAll('article.record');
function apply(){var t=q.value.toLowerCase(),n=0;
for(var i=0;i<items.length;i++){var el=items[i];
var ok=(!s.value||el.getAttribute('data-slice')===s.value)&&(!r.value||el.getAttribute('data-result')===r.value)&&(!t||el.textContent.toLowerCase().indexOf(t)!==-1);
el.hidden=!ok;if(ok)n++;}
c.textContent=n+' shown';}
q.addEventListener('input',apply);s.addEventListener('change',apply);r.addEventListener('change',apply);apply();
})();
`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
// Nothing but our own style and script may run or load, even if some value escaped its escaping.
const CSP = `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; base-uri 'none'; form-action 'none'`;

function summarySection(data: ReportData): string {
  const rows: string[] = [];
  for (const s of data.summary.slices) {
    const classes = RESULT_CLASSES.filter((c) => (s.byResult[c] ?? 0) > 0);
    classes.forEach((c, i) => {
      const count = s.byResult[c] ?? 0;
      rows.push(
        `<tr>${i === 0 ? `<td rowspan="${classes.length}">${escapeHtml(s.slice)}</td>` : ''}` +
          `<td class="r-${c}">${c}</td>${num(count)}${td(formatRate(s.total ? count / s.total : null), 'n')}` +
          `${i === 0 ? `<td class="n" rowspan="${classes.length}">${formatRate(s.mismatchRate)}</td><td class="n" rowspan="${classes.length}">${s.total}</td>` : ''}</tr>`,
      );
    });
  }
  const table = rows.length
    ? `<table><thead><tr><th>Slice</th><th>Result</th><th>Records</th><th>Share</th><th>Mismatch rate</th><th>Total</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : '<p class="absent">No diff records match.</p>';
  const fields = data.summary.slices.flatMap((s) => s.topFields.map((f) => ({ slice: s.slice, ...f })));
  const fieldTable = fields.length
    ? `<table><thead><tr><th>Slice</th><th>Field</th><th>Records</th></tr></thead><tbody>${fields
        .map((f) => `<tr>${td(f.slice)}${td(f.path)}${num(f.count)}</tr>`)
        .join('')}</tbody></table>`
    : '<p class="absent">No real differences.</p>';
  const noise = noiseRows(data);
  const noiseTable = noise.length
    ? `<table><thead><tr><th>Slice</th><th>Path</th><th>In records</th><th>Status</th><th>Learned</th><th>Decision</th></tr></thead><tbody>${noise
        .map(
          (n) =>
            `<tr>${td(n.slice)}${td(n.path)}${num(n.seen)}${td(n.status)}${td(n.entry ? `${n.entry.differing}/${n.entry.samples}` : '–')}${td(decision(n.entry))}</tr>`,
        )
        .join('')}</tbody></table>`
    : '<p class="absent">No noise.</p>';
  const group = (title: string, items: Array<{ name: string; total: number; mismatches: number }>) =>
    items.length
      ? `<h3>By ${title.toLowerCase()}</h3><table><thead><tr><th>${title}</th><th>Records</th><th>Mismatches</th></tr></thead><tbody>${items
          .map((i) => `<tr>${td(i.name)}${num(i.total)}${num(i.mismatches)}</tr>`)
          .join('')}</tbody></table>`
      : '';
  return `<section id="summary"><h2>Summary <span class="meta">${data.summary.total} records</span></h2>${table}</section>
<section id="fields"><h2>Top differing fields</h2>${fieldTable}</section>
<section id="noise"><h2>Noise <span class="meta">(shown apart; not counted as differences)</span></h2>${noiseTable}</section>
${
  data.summary.byTenant.length || data.summary.byChannel.length
    ? `<section id="groups"><h2>By tenant and channel</h2>${group(
        'Tenant',
        data.summary.byTenant.map((t) => ({ name: t.tenant, total: t.total, mismatches: t.mismatches })),
      )}${group(
        'Channel',
        data.summary.byChannel.map((c) => ({ name: c.channel, total: c.total, mismatches: c.mismatches })),
      )}</section>`
    : ''
}`;
}

export function decision(e: NoiseEntry | undefined): string {
  if (!e?.decidedAt) return '';
  return [
    e.reason ? `“${e.reason}”` : '',
    e.by ? `by ${e.by}` : '',
    e.decidedAt.slice(0, 10),
    e.expiresAt ? `(${e.expired ? 'expired' : 'expires'} ${e.expiresAt.slice(0, 10)})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function side(name: string, s: StoredSide | undefined): string {
  if (!s) return `<div class="side"><h3>${name}</h3><p class="absent">(none)</p></div>`;
  const effects = s.effects?.length ? `<p>Effects</p><pre>${json(s.effects)}</pre>` : '';
  const duration = s.durationMs === undefined ? '' : ` · ${escapeHtml(s.durationMs)} ms`;
  const primed = s.primedReads ? ` · ${escapeHtml(s.primedReads)} legacy read(s) reused from the client's answer` : '';
  return `<div class="side"><h3>${name} <span class="meta">status ${escapeHtml(s.status ?? '–')}${duration}${primed}</span></h3><pre>${json(s.body)}</pre>${effects}</div>`;
}

function fieldRow(f: FieldDiff, noise: boolean): string {
  return `<tr${noise ? ' class="noise"' : ''}>${td(f.path)}${td(f.kind)}<td><pre>${json(f.legacy)}</pre></td><td><pre>${json(
    f.candidate,
  )}</pre></td>${td(f.comparator)}${td(f.score ?? '', 'n')}${td(noise ? `noise: ${f.noise ?? 'yes'}` : '')}</tr>`;
}

function recordArticle(r: DiffRecord): string {
  const fields = Array.isArray(r.fields) ? r.fields : [];
  const noise = Array.isArray(r.noise) ? r.noise : [];
  const diffTable =
    fields.length || noise.length
      ? `<table class="fields"><thead><tr><th>Path</th><th>Kind</th><th>Legacy</th><th>Candidate</th><th>Comparator</th><th>Score</th><th>Noise</th></tr></thead><tbody>${[
          ...fields.map((f) => fieldRow(f, false)),
          ...noise.map((f) => fieldRow(f, true)),
        ].join('')}</tbody></table>`
      : '';
  const issues = r.schemaIssues?.length
    ? `<p>Schema issues</p><ul>${r.schemaIssues.map((i) => `<li>${escapeHtml(`${i.side} ${i.path}: ${i.message}`)}</li>`).join('')}</ul>`
    : '';
  const gaps = r.gaps?.length ? `<p>Unmodelled wire paths that differ: ${escapeHtml(r.gaps.join(', '))}</p>` : '';
  const error = r.error ? `<p>Candidate error: <code>${escapeHtml(r.error)}</code></p>` : '';
  const meta = [
    r.at,
    `${r.method} ${r.path}`,
    r.route && r.route !== r.slice ? `route ${r.route}` : '',
    r.contract ? `contract ${r.contract}` : '',
    r.tenant ? `tenant ${r.tenant}` : '',
    r.channel ? `channel ${r.channel}` : '',
    `request ${r.requestId}`,
    r.replay ? `replay ${r.replay}` : '',
  ]
    .filter(Boolean)
    .map((m) => escapeHtml(m))
    .join(' · ');
  return `<article class="record" id="rec-${escapeHtml(r.id)}" data-slice="${escapeHtml(r.slice)}" data-result="${escapeHtml(r.result)}">
<h3><span class="tag">${escapeHtml(r.slice)}</span> <span class="r-${escapeHtml(r.result)}">${escapeHtml(r.result)}</span> <span class="meta">${escapeHtml(r.id)}</span></h3>
<p class="meta">${meta}</p>${error}${issues}${gaps}${diffTable}
<div class="sides">${side('Legacy', r.legacy)}${side('Candidate', r.candidate)}</div>
</article>`;
}

function recordsSection(data: ReportData): string {
  if (data.records === null) return '';
  const records = data.records;
  const slices = [...new Set(records.map((r) => r.slice))].sort();
  const options = (values: readonly string[], all: string) =>
    `<option value="">${all}</option>${values.map((v) => `<option value="${escapeHtml(v)}">${escapeHtml(v)}</option>`).join('')}`;
  const filters = `<div class="filters" id="filters" hidden><input id="f-text" type="search" placeholder="text in a record">
<select id="f-slice">${options(slices, 'all slices')}</select><select id="f-result">${options(RESULT_CLASSES, 'all results')}</select>
<span id="f-count" class="meta"></span></div>`;
  const more = data.recordsTruncated ? ' (more match: raise --limit or narrow the filters)' : '';
  return `<section id="records"><h2>Records <span class="meta">${records.length} listed${more}</span></h2>${filters}
${records.length ? records.map(recordArticle).join('\n') : '<p class="absent">No records listed.</p>'}</section>`;
}

function runSection(run: ReplayRunStats | undefined): string {
  if (!run) return '';
  const statuses = Object.entries(run.byStatus)
    .map(([s, n]) => `${s}×${n}`)
    .join(', ');
  const errors = Object.entries(run.errors)
    .map(([s, n]) => `${s}×${n}`)
    .join(', ');
  return `<section id="run"><h2>Replay run ${escapeHtml(run.runId)}</h2><table><tbody>
<tr><th>Target</th>${td(run.target)}</tr><tr><th>Requests</th>${num(run.requests)}</tr><tr><th>Skipped</th>${num(run.skipped)}</tr>
<tr><th>Sent</th>${num(run.sent)}</tr><tr><th>Answered</th>${td(`${run.answered}${statuses ? ` (${statuses})` : ''}`)}</tr>
<tr><th>Errors</th>${td(errors || '0')}</tr><tr><th>Duration</th>${td(`${(run.durationMs / 1000).toFixed(1)} s`)}</tr>
<tr><th>Rate</th>${td(`${run.rate.toFixed(1)} req/s`)}</tr></tbody></table></section>`;
}

/**
 * One self-contained HTML file: inline CSS, no external URL, readable without JS (a small inline script adds
 * filtering). Every value from a record is hostile input and escaped; a Content-Security-Policy allows only this
 * file's own style and script (by hash) as a second line of defence.
 */
export function renderHtmlReport(data: ReportData): string {
  const filters = Object.entries(data.filters)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const backend = data.summary.backend ? ` · store ${data.summary.backend}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shadow diff report${data.run ? ` — replay ${escapeHtml(data.run.runId)}` : ''}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>Shadow diff report</h1>
<p class="meta">Generated ${escapeHtml(data.generatedAt)} from ${escapeHtml(data.source)}${escapeHtml(backend)} · filters: ${escapeHtml(filters || 'none')}</p></header>
${runSection(data.run)}
${summarySection(data)}
${recordsSection(data)}
<script>${SCRIPT}</script>
</body></html>
`;
}
