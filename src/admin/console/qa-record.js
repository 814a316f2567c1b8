// One diff record: both sides side by side, the field-level differences, noise apart, schema issues, gaps, effects.
import { badge, cell, h, jsonCell, num, table, when } from './dom.js';

export const RESULT_TONE = {
  match: 'ok',
  value_mismatch: 'bad',
  schema_error: 'bad',
  mapping_gap: 'warn',
  candidate_error: 'warn',
  candidate_timeout: 'warn',
};

export const resultBadge = (result) => badge(result.replace('_', ' '), RESULT_TONE[result] ?? 'neutral', result);

function diffRows(diffs) {
  return diffs.map((d) => ({
    props: { dataset: { path: d.path } },
    cells: [
      h('code', { class: 'path' }, d.path),
      d.kind,
      jsonCell(d.legacy),
      jsonCell(d.candidate),
      d.comparator,
      cell(typeof d.score === 'number' ? (d.comparator === 'text' ? d.score.toFixed(2) : `${num(d.score)} ms`) : '—', {
        class: 'num',
      }),
      d.noise
        ? badge(d.noise, d.noise === 'accepted' ? 'info' : 'neutral', 'known noise: not counted')
        : h('span', { class: 'muted' }, '—'),
    ],
  }));
}

const DIFF_HEADERS = [
  'Path',
  'Kind',
  'Legacy',
  'Candidate',
  'Comparator',
  { text: 'Score', props: { class: 'num' } },
  'Noise',
];

/** `customFields[2].value` → `value`, `updated_at` and `updatedAt` → `updatedat`: to spot a diff's key in a body. */
const keyOf = (path) =>
  String(path)
    .replace(/\[\d*\]/g, '')
    .split('.')
    .pop()
    .replace(/[_-]/g, '')
    .toLowerCase();

/** The body as indented JSON, lines whose key has a real difference (or noise) marked. */
function jsonPre(body, marks) {
  if (body === undefined || body === null) return h('pre', { class: 'json' }, '(no body)');
  const lines = JSON.stringify(body, null, 2)
    .split('\n')
    .map((line) => {
      const m = /^\s*"([^"]+)":/.exec(line);
      const mark = m ? marks.get(keyOf(m[1])) : undefined;
      return mark ? h('span', { class: `line ${mark}` }, line) : line;
    });
  return h(
    'pre',
    { class: 'json' },
    lines.flatMap((l, i) => (i === 0 ? [l] : ['\n', l])),
  );
}

function side(title, s, marks, extra) {
  const status = s.status === null || s.status === undefined ? 'no answer' : `status ${s.status}`;
  return h(
    'div',
    { class: 'side' },
    h(
      'h3',
      {},
      title,
      h('small', { class: 'muted' }, ` · ${status}`),
      extra ? h('small', { class: 'muted' }, ` · ${extra}`) : null,
    ),
    jsonPre(s.body, marks),
    s.effects?.length
      ? h(
          'div',
          {},
          h('h4', {}, 'Effects'),
          table(
            ['System', 'Operation', 'Target', 'Payload'],
            s.effects.map((e) => [e.system, e.operation, e.target ?? '(new)', jsonCell(e.payload, 80)]),
          ),
        )
      : null,
  );
}

/** Renders a stored diff record (already masked by the gateway). */
export function renderRecord(r) {
  const meta = [
    ['Result', resultBadge(r.result)],
    ['When', when(r.at)],
    ['Slice', r.slice],
    ['Request', h('code', {}, `${r.method} ${r.path}`)],
    ['Request id', h('code', {}, r.requestId)],
    ['Contract', r.contract ?? '—'],
    ['Tenant', r.tenant ?? '—'],
    ['Channel', r.channel ?? '—'],
  ];
  if (r.replay) meta.push(['Replay', r.replay]);
  const marks = new Map();
  for (const d of r.noise) if (!d.path.startsWith('$')) marks.set(keyOf(d.path), 'noise-mark');
  for (const d of r.fields) if (!d.path.startsWith('$')) marks.set(keyOf(d.path), 'diff-mark');
  return h(
    'div',
    { class: 'record', dataset: { id: r.id } },
    h(
      'dl',
      { class: 'meta' },
      meta.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
    ),
    r.error ? h('p', { class: 'error' }, 'Candidate failure: ', h('code', {}, r.error)) : null,
    h(
      'div',
      { class: 'sides' },
      side('Legacy', r.legacy, marks),
      side(
        'Candidate',
        r.candidate,
        marks,
        typeof r.candidate.durationMs === 'number' ? `${num(Math.round(r.candidate.durationMs))} ms` : '',
      ),
    ),
    h('h3', {}, `Differences (${r.fields.length})`),
    table(DIFF_HEADERS, diffRows(r.fields), { empty: 'No real differences.', class: 'grid diffs' }),
    h(
      'h3',
      {},
      `Noise, shown apart (${r.noise.length})`,
      h('small', { class: 'muted' }, ' — known noise does not affect the result'),
    ),
    table(DIFF_HEADERS, diffRows(r.noise), { empty: 'No noise on this record.', class: 'grid diffs noise' }),
    r.schemaIssues.length
      ? [
          h('h3', {}, `Schema issues (${r.schemaIssues.length})`),
          table(
            ['Side', 'Path', 'Message'],
            r.schemaIssues.map((i) => [i.side, h('code', {}, i.path), i.message]),
          ),
        ]
      : null,
    r.gaps.length
      ? [
          h('h3', {}, `Mapping gaps (${r.gaps.length})`),
          h('p', { class: 'muted' }, 'Wire fields outside the contract that differ:'),
          h(
            'ul',
            { class: 'gaps' },
            r.gaps.map((g) => h('li', {}, h('code', {}, g))),
          ),
        ]
      : null,
  );
}
