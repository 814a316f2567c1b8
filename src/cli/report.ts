import Table from 'cli-table3';
import { decision, formatRate, noiseRows, type ReplayRunStats, type ReportData } from '../shadow/report-html.js';
import { type DiffRecord, RESULT_CLASSES } from '../shadow/types.js';

/** Text and JSON renderings of a diff report (`gateway diffs`, `gateway replay`); HTML is in src/shadow/report-html. */

// No colours: the table goes to files and pipes as often as to terminals.
const table = (head: string[]) => new Table({ head, style: { head: [], border: [] } });

/** One line: `sent 100, answered 98 (200×90, 404×8), errors 2 (ECONNREFUSED×2), 10.2 s, 9.8 req/s`. */
export function formatRunLine(run: ReplayRunStats): string {
  const list = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, n]) => `${k}×${n}`)
      .join(', ');
  const errors = Object.values(run.errors).reduce((a, b) => a + b, 0);
  return (
    `replay ${run.runId}: sent ${run.sent}` +
    `${run.skipped ? ` (skipped ${run.skipped})` : ''}, answered ${run.answered}` +
    `${run.answered ? ` (${list(run.byStatus)})` : ''}, errors ${errors}${errors ? ` (${list(run.errors)})` : ''}, ` +
    `${(run.durationMs / 1000).toFixed(1)} s, ${run.rate.toFixed(1)} req/s`
  );
}

function recordFields(r: DiffRecord): string {
  const paths = (Array.isArray(r.fields) ? r.fields : []).map((f) => f.path);
  const shown = paths.slice(0, 5).join(', ');
  return paths.length > 5 ? `${shown}, … (${paths.length - 5} more)` : shown || (r.error ?? '');
}

/** The table report: result classes per slice, top differing fields, noise apart, optionally the records. */
export function renderText(data: ReportData): string {
  const out: string[] = [];
  const filters = Object.entries(data.filters)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (data.run) out.push(formatRunLine(data.run), '');
  out.push(
    `Shadow diffs: ${data.summary.total} record${data.summary.total === 1 ? '' : 's'}` +
      `${data.summary.backend ? ` (store: ${data.summary.backend})` : ''} from ${data.source}` +
      `${filters ? ` · filters: ${filters}` : ''}`,
  );
  if (!data.summary.slices.length) {
    out.push('No diff records match.');
  } else {
    const t = table(['Slice', 'Result', 'Records', 'Share', 'Mismatch rate']);
    for (const s of data.summary.slices) {
      const classes = RESULT_CLASSES.filter((c) => (s.byResult[c] ?? 0) > 0);
      classes.forEach((c, i) => {
        const count = s.byResult[c] ?? 0;
        const share = formatRate(s.total ? count / s.total : null);
        t.push(
          i === 0
            ? [
                { content: s.slice, rowSpan: classes.length },
                c,
                count,
                share,
                { content: formatRate(s.mismatchRate), rowSpan: classes.length },
              ]
            : [c, count, share],
        );
      });
    }
    out.push(t.toString());
  }

  const fields = data.summary.slices.flatMap((s) => s.topFields.map((f) => [s.slice, f.path, f.count]));
  if (fields.length) {
    const t = table(['Slice', 'Top differing field', 'Records']);
    t.push(...fields);
    out.push('', t.toString());
  }

  const noise = noiseRows(data);
  if (noise.length) {
    const t = table(['Slice', 'Noise path (not counted)', 'In records', 'Status', 'Learned', 'Decision']);
    for (const n of noise) {
      t.push([
        n.slice,
        n.path,
        n.seen,
        n.status,
        n.entry ? `${n.entry.differing}/${n.entry.samples}` : '–',
        decision(n.entry),
      ]);
    }
    out.push('', t.toString());
  }

  for (const [title, items] of [
    ['Tenant', data.summary.byTenant.map((x) => [x.tenant, x.total, x.mismatches])],
    ['Channel', data.summary.byChannel.map((x) => [x.channel, x.total, x.mismatches])],
  ] as const) {
    if (!items.length) continue;
    const t = table([title, 'Records', 'Mismatches']);
    t.push(...items.map((i) => [...i]));
    out.push('', t.toString());
  }

  if (data.records) {
    const t = table(['Id', 'At', 'Slice', 'Result', 'Request', 'Differing fields']);
    for (const r of data.records) t.push([r.id, r.at, r.slice, r.result, `${r.method} ${r.path}`, recordFields(r)]);
    out.push(
      '',
      data.records.length ? t.toString() : 'No records listed.',
      ...(data.recordsTruncated ? ['(more records match: raise --limit or narrow the filters)'] : []),
    );
  }
  return out.join('\n');
}

/** The JSON report: the summary and noise, plus the records when they were listed. */
export function renderJson(data: ReportData): string {
  const { records, recordsTruncated, ...rest } = data;
  return JSON.stringify(records === null ? rest : { ...rest, records, recordsTruncated: !!recordsTruncated }, null, 2);
}
