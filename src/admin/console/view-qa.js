// QA: the diff summary per slice × result class, the filterable record list (cursor pages), one record, and the
// learned-noise table with accept / reject / reset for the `noise` permission.
import { query } from './api.js';
import { badge, cell, field, fill, formDialog, h, num, pct, section, table, when } from './dom.js';
import { RESULT_TONE, renderRecord, resultBadge } from './qa-record.js';

const RESULTS = Object.keys(RESULT_TONE);
const SHORT = {
  match: 'match',
  value_mismatch: 'value',
  schema_error: 'schema',
  mapping_gap: 'gap',
  candidate_error: 'cand. error',
  candidate_timeout: 'cand. timeout',
};
const PAGE = 20;
const NOISE_TONE = { learning: 'neutral', learned: 'info', accepted: 'ok', rejected: 'bad' };

const errorText = (err) => (err.describe ? err.describe() : String(err));

export function createQaView(ctx) {
  const filters = { slice: '', result: '', field: '' };
  let cursors = [undefined];
  let page = 0;

  const summaryBody = h('div', { class: 'table-wrap' });
  const sliceSelect = h('select', { name: 'slice' }, h('option', { value: '' }, 'all slices'));
  const resultSelect = h(
    'select',
    { name: 'result' },
    h('option', { value: '' }, 'all results'),
    RESULTS.map((r) => h('option', { value: r }, r)),
  );
  const fieldInput = h('input', {
    name: 'field',
    type: 'search',
    placeholder: 'field path, e.g. subject',
    spellcheck: 'false',
  });
  const filterForm = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter diff records' },
    field('Slice', sliceSelect),
    field('Result', resultSelect),
    field('Field', fieldInput),
    h('button', { type: 'submit', class: 'primary' }, 'Apply'),
    h('button', { type: 'reset' }, 'Clear'),
  );
  const listBody = h('div', { class: 'table-wrap' });
  const pager = h('div', { class: 'pager' });
  const recordSection = section('Record', [h('button', { type: 'button', onclick: () => closeRecord() }, 'Close')]);
  recordSection.hidden = true;
  recordSection.id = 'qa-record';
  const recordBody = h('div', {});
  recordSection.append(recordBody);
  const noiseBody = h('div', { class: 'table-wrap' });

  const el = h(
    'div',
    {},
    section(
      'Diff summary',
      [h('button', { type: 'button', onclick: () => void loadSummary() }, 'Refresh')],
      h(
        'p',
        { class: 'muted intro' },
        'Shadow comparisons per slice and result class. Click a count to list those records.',
      ),
      summaryBody,
    ),
    section('Diff records', [], filterForm, listBody, pager),
    recordSection,
    section(
      'Learned noise',
      [h('button', { type: 'button', onclick: () => void loadNoise() }, 'Refresh')],
      h(
        'p',
        { class: 'muted intro' },
        'Field paths that differ between two legacy answers to the same request. Learned noise is shown apart and does not count.',
        ctx.can('noise')
          ? ' Accept a path as an expected difference (it expires), reject it (it counts again), or reset it.'
          : ' Decisions need the noise permission (QA).',
      ),
      noiseBody,
    ),
  );

  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    applyFilters({ slice: sliceSelect.value, result: resultSelect.value, field: fieldInput.value.trim() });
  });
  filterForm.addEventListener('reset', () => {
    setTimeout(() => applyFilters({ slice: '', result: '', field: '' }), 0);
  });

  function applyFilters(next) {
    Object.assign(filters, next);
    sliceSelect.value = filters.slice;
    resultSelect.value = filters.result;
    fieldInput.value = filters.field;
    cursors = [undefined];
    page = 0;
    void loadList();
    void loadNoise();
  }

  function addSliceOptions(ids) {
    const known = new Set([...sliceSelect.options].map((o) => o.value));
    for (const id of ids) if (!known.has(id)) sliceSelect.append(h('option', { value: id }, id));
  }

  async function loadSummary() {
    try {
      const s = await ctx.api.get('/admin/diffs/summary');
      addSliceOptions(s.slices.map((sl) => sl.slice));
      const countCell = (sl, r) => {
        const n = sl.byResult[r] ?? 0;
        if (!n) return cell(h('span', { class: 'muted' }, '0'), { class: 'num' });
        const b = h(
          'button',
          { type: 'button', class: `link count ${RESULT_TONE[r]}`, title: `list ${r} records of ${sl.slice}` },
          num(n),
        );
        b.addEventListener('click', () => applyFilters({ slice: sl.slice, result: r, field: '' }));
        return cell(b, { class: 'num' });
      };
      const fields = (list) =>
        list.length
          ? h(
              'div',
              { class: 'chips' },
              list.slice(0, 5).map((f) => h('span', { class: 'chip' }, h('code', {}, f.path), ` ×${num(f.count)}`)),
            )
          : h('span', { class: 'muted' }, '—');
      fill(
        summaryBody,
        table(
          [
            'Slice',
            { text: 'Total', props: { class: 'num' } },
            ...RESULTS.map((r) => ({ text: SHORT[r], props: { class: 'num', title: r } })),
            { text: 'Mismatch rate', props: { class: 'num' } },
            'Top fields',
            'Noise fields',
          ],
          s.slices.map((sl) => ({
            props: { dataset: { slice: sl.slice } },
            cells: [
              h('strong', {}, sl.slice),
              cell(num(sl.total), { class: 'num' }),
              ...RESULTS.map((r) => countCell(sl, r)),
              cell(h('strong', {}, pct(sl.mismatchRate)), { class: 'num' }),
              fields(sl.topFields),
              fields(sl.noiseFields),
            ],
          })),
          { empty: 'No shadow comparisons recorded yet.' },
        ),
        h('p', { class: 'muted small' }, `${num(s.total)} records in the ${s.backend ?? ''} diff store.`),
      );
    } catch (err) {
      fill(summaryBody, h('p', { class: 'error' }, errorText(err)));
    }
  }

  async function loadList() {
    fill(listBody, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const res = await ctx.api.get(`/admin/diffs${query({ ...filters, cursor: cursors[page], limit: PAGE })}`);
      if (res.nextCursor) cursors[page + 1] = res.nextCursor;
      else cursors = cursors.slice(0, page + 1);
      const rows = res.items.map((r) => {
        const open = h('button', { type: 'button', class: 'open-record', dataset: { id: r.id } }, 'Open');
        open.addEventListener('click', () => void openRecord(r.id));
        const paths = r.fields.map((f) => f.path);
        return {
          props: { dataset: { id: r.id, result: r.result } },
          cells: [
            when(r.at),
            r.slice,
            resultBadge(r.result),
            h('code', { class: 'small' }, `${r.method} ${r.path}`),
            h('span', { class: 'small' }, [r.tenant, r.channel].filter(Boolean).join(' · ') || '—'),
            paths.length
              ? h(
                  'code',
                  { class: 'small', title: paths.join(', ') },
                  paths.slice(0, 3).join(', ') + (paths.length > 3 ? ` +${paths.length - 3}` : ''),
                )
              : h('span', { class: 'muted' }, r.error ? 'candidate failed' : '—'),
            cell(r.noise.length ? num(r.noise.length) : h('span', { class: 'muted' }, '0'), { class: 'num' }),
            open,
          ],
        };
      });
      fill(
        listBody,
        table(
          [
            'When',
            'Slice',
            'Result',
            'Request',
            'Tenant · channel',
            'Differences',
            { text: 'Noise', props: { class: 'num' } },
            '',
          ],
          rows,
          {
            empty: 'No records match these filters.',
            class: 'grid records',
          },
        ),
      );
      const prev = h('button', { type: 'button', disabled: page === 0 }, '← Newer');
      const next = h('button', { type: 'button', disabled: !res.nextCursor, class: 'next-page' }, 'Older →');
      prev.addEventListener('click', () => {
        page--;
        void loadList();
      });
      next.addEventListener('click', () => {
        page++;
        void loadList();
      });
      fill(pager, prev, h('span', { class: 'muted' }, `page ${page + 1} · ${res.items.length} records`), next);
    } catch (err) {
      fill(listBody, h('p', { class: 'error' }, errorText(err)));
      fill(pager);
    }
  }

  async function openRecord(id) {
    recordSection.hidden = false;
    fill(recordBody, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const r = await ctx.api.get(`/admin/diffs/${encodeURIComponent(id)}`);
      recordSection.querySelector('h2').textContent = `Record ${r.id}`;
      fill(recordBody, renderRecord(r));
    } catch (err) {
      fill(recordBody, h('p', { class: 'error' }, errorText(err)));
    }
    recordSection.scrollIntoView({ block: 'start' });
  }

  function closeRecord() {
    recordSection.hidden = true;
    fill(recordBody);
  }

  function decide(entry, action) {
    const reason = h('textarea', { name: 'reason', rows: 2, required: true, minlength: 3, maxlength: 500 });
    const fields = [field('Reason (required)', reason)];
    let expiry = null;
    if (action === 'accept') {
      const d = new Date(Date.now() + 30 * 86_400_000);
      expiry = h('input', { type: 'date', name: 'expires', required: true, value: d.toISOString().slice(0, 10) });
      fields.push(field('Expires on', expiry, 'The difference counts again after this day.'));
    }
    const verb = { accept: 'Accept', reject: 'Reject', reset: 'Reset' }[action];
    formDialog({
      title: `${verb} noise on ${entry.path}`,
      intro:
        action === 'accept'
          ? `Differences on ${entry.path} (${entry.slice}) will be expected, shown apart, until the expiry.`
          : action === 'reject'
            ? `Differences on ${entry.path} (${entry.slice}) will count as real differences again.`
            : `Forget the decision and what was learned about ${entry.path} (${entry.slice}).`,
      fields,
      confirm: verb,
      submit: async () => {
        const text = reason.value.trim();
        if (text.length < 3) throw new Error('Say why (at least 3 characters): the reason is audited.');
        const body = { slice: entry.slice, path: entry.path, action, reason: text };
        if (expiry) {
          const at = new Date(`${expiry.value}T23:59:59`);
          if (Number.isNaN(at.getTime()) || at.getTime() <= Date.now())
            throw new Error('Pick an expiry date in the future.');
          body.expiresAt = at.toISOString();
        }
        try {
          await ctx.api.post('/admin/noise/decisions', body);
        } catch (err) {
          ctx.notify(`Noise decision refused. ${errorText(err)}`, 'error');
          throw new Error(errorText(err));
        }
        ctx.notify(`${verb}ed noise on ${entry.path} (${entry.slice}).`);
        await loadNoise();
      },
    });
  }

  async function loadNoise() {
    try {
      const res = await ctx.api.get(`/admin/noise${query({ slice: filters.slice })}`);
      const canDecide = ctx.can('noise');
      const rows = res.items.map((e) => {
        const actions = canDecide
          ? h(
              'div',
              { class: 'row-actions' },
              ['accept', 'reject', 'reset'].map((a) =>
                h(
                  'button',
                  { type: 'button', class: `noise-${a}`, onclick: () => decide(e, a) },
                  a[0].toUpperCase() + a.slice(1),
                ),
              ),
            )
          : null;
        return {
          props: { dataset: { slice: e.slice, path: e.path, status: e.status } },
          cells: [
            e.slice,
            h('code', {}, e.path),
            h(
              'div',
              {},
              badge(e.status, NOISE_TONE[e.status] ?? 'neutral'),
              e.expired ? badge('expired', 'warn') : null,
            ),
            cell(`${num(e.differing)} / ${num(e.samples)}`, {
              class: 'num',
              title: `differed in ${pct(e.samples ? e.differing / e.samples : null)} of legacy/legacy samples`,
            }),
            e.reason
              ? h(
                  'div',
                  {},
                  h('q', { class: 'note' }, e.reason),
                  h('div', { class: 'small muted' }, e.by ?? '', ' · ', when(e.decidedAt)),
                )
              : h('span', { class: 'muted' }, '—'),
            e.expiresAt ? when(e.expiresAt) : h('span', { class: 'muted' }, '—'),
            ...(canDecide ? [actions] : []),
          ],
        };
      });
      fill(
        noiseBody,
        table(
          [
            'Slice',
            'Path',
            'Status',
            { text: 'Differed / samples', props: { class: 'num' } },
            'Decision',
            'Expires',
            ...(canDecide ? [''] : []),
          ],
          rows,
          {
            empty: 'Nothing learned yet (needs secondary legacy calls on idempotent reads).',
            class: 'grid noise-table',
          },
        ),
      );
    } catch (err) {
      fill(noiseBody, h('p', { class: 'error' }, errorText(err)));
    }
  }

  return {
    el,
    show() {
      ctx.api.get('/admin/slices').then(
        (r) => addSliceOptions(r.slices.map((sl) => sl.id)),
        () => {},
      );
      void loadSummary();
      void loadList();
      void loadNoise();
    },
  };
}
