// The audit log (all roles): pins, unpins, automatic pin-backs, noise decisions; newest first.
import { query } from './api.js';
import { fill, h, section, table, when } from './dom.js';

export function createAuditView(ctx) {
  const body = h('div', { class: 'table-wrap' }, h('p', { class: 'muted' }, 'Loading…'));
  const limit = h(
    'select',
    { name: 'limit', 'aria-label': 'Entries' },
    [50, 100, 500, 1000].map((n) => h('option', { value: String(n), selected: n === 100 }, `last ${n}`)),
  );
  const refreshButton = h('button', { type: 'button' }, 'Refresh');
  const el = h('div', {}, section('Audit log', [limit, refreshButton], body));

  async function load() {
    try {
      const res = await ctx.api.get(`/admin/audit${query({ limit: limit.value })}`);
      fill(
        body,
        table(
          ['When', 'Actor', 'Role', 'Action', 'Slice', 'Reason', 'Note'],
          res.entries.map((e) => ({
            props: { dataset: { action: e.action } },
            cells: [
              when(e.at),
              e.actor,
              e.role,
              h('strong', {}, e.action),
              e.slice ?? '—',
              e.reason ?? '—',
              e.note ? h('span', { class: 'note-cell' }, e.note) : '—',
            ],
          })),
          { empty: 'No audited actions yet.', class: 'grid audit' },
        ),
      );
    } catch (err) {
      fill(body, h('p', { class: 'error' }, err.describe ? err.describe() : String(err)));
    }
  }
  limit.addEventListener('change', () => void load());
  refreshButton.addEventListener('click', () => void load());
  return { el, show: () => void load() };
}
