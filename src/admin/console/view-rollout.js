// Migration leads: every slice's stage, rollout, pin and health verdict; pin and unpin with a required reason.
import { badge, cell, field, fill, formDialog, h, num, pct, section, table, when } from './dom.js';

export const VERDICT_TONE = {
  healthy: 'ok',
  inconclusive: 'neutral',
  tripped: 'bad',
  pinned: 'warn',
  disabled: 'neutral',
};
const STAGE_TONE = { legacy: 'neutral', shadow: 'info', canary: 'accent', live: 'ok' };

/** A flag's state in words: not defined, off, or its rollout percentage. */
export function flagText(f) {
  if (!f || f.defined === false)
    return h('span', { class: 'muted', title: `${f?.name ?? ''} is not defined` }, 'not defined');
  if (!f.enabled) return h('span', { class: 'muted', title: f.name }, 'off');
  return h(
    'span',
    { title: f.name },
    h('strong', {}, `${f.rolloutPercent} %`),
    f.constrained ? h('small', { class: 'muted' }, ' constrained') : null,
  );
}

/** The pin-back rule's verdict over its window; too little traffic reads as inconclusive, never as healthy. */
export function healthCell(hl) {
  if (!hl) return h('span', { class: 'muted' }, 'not evaluated yet');
  const t = hl.thresholds ?? {};
  const why =
    hl.verdict === 'inconclusive'
      ? `too little traffic (< ${num(t.minRequests)} in ${hl.windowMinutes} min)`
      : hl.verdict === 'tripped' && hl.rule
        ? `${hl.rule.replace('_', ' ')} over the limit`
        : `last ${hl.windowMinutes} min`;
  const rate = (label, value, n, unit, max) =>
    h(
      'span',
      { class: 'rate', title: `limit ${pct(max)}` },
      `${label} `,
      h('strong', {}, pct(value)),
      h('small', { class: 'muted' }, ` of ${num(n)} ${unit}`),
    );
  return h(
    'div',
    {
      class: 'health',
      title: `evaluated ${hl.evaluatedAt} on ${hl.source === 'shared' ? 'all replicas' : 'this replica'}`,
    },
    h('div', {}, badge(hl.verdict, VERDICT_TONE[hl.verdict] ?? 'neutral'), h('small', { class: 'muted' }, ` ${why}`)),
    h(
      'div',
      { class: 'health-line' },
      rate('fallback', hl.fallbackRate, hl.attempts, 'attempts', t.maxFallbackRate),
      h('span', { class: 'sep' }, ' · '),
      rate('mismatch', hl.mismatchRate, hl.comparisons, 'compared', t.maxMismatchRate),
    ),
    h(
      'small',
      { class: 'muted' },
      `limits ${pct(t.maxFallbackRate)} / ${pct(t.maxMismatchRate)} · ${hl.source === 'shared' ? 'all replicas' : 'this replica'}`,
    ),
  );
}

/** Route patterns without their regex constraints: `/api/v2/tickets/:id(^\\d{1,18})` → `/api/v2/tickets/:id`. */
export const prettyPath = (p) => String(p).replace(/\([^)]*\)/g, '');

function pinCell(pin) {
  if (!pin) return h('span', { class: 'muted' }, 'not pinned');
  return h(
    'div',
    { class: 'pin' },
    badge(pin.reason === 'auto_rollback' ? 'auto rollback' : 'pinned', pin.reason === 'auto_rollback' ? 'bad' : 'warn'),
    h(
      'div',
      {},
      h('small', { class: 'muted' }, 'by '),
      pin.by,
      h('small', { class: 'muted' }, ' · '),
      h('small', {}, when(pin.at)),
    ),
    pin.note ? h('q', { class: 'note' }, pin.note) : null,
  );
}

export function createRolloutView(ctx) {
  const banner = h('div', { class: 'banners' });
  const body = h('div', { class: 'table-wrap' }, h('p', { class: 'muted' }, 'Loading…'));
  const updated = h('small', { class: 'muted' });
  const refreshButton = h('button', { type: 'button' }, 'Refresh');
  const el = h(
    'div',
    {},
    banner,
    section(
      'Slices',
      [updated, refreshButton],
      h(
        'p',
        { class: 'muted intro' },
        'Stage and rollout per slice, manual or automatic pins to legacy, and the pin-back rule’s verdict over its window.',
        ctx.can('pin') ? '' : ' Your role may read but not pin or unpin.',
      ),
      body,
    ),
  );

  function pinButton(slice) {
    const pinned = Boolean(slice.pin);
    const allowed = ctx.can('pin');
    const button = h(
      'button',
      {
        type: 'button',
        class: pinned ? 'pin-action' : 'pin-action danger',
        dataset: { slice: slice.id, action: pinned ? 'unpin' : 'pin' },
        disabled: !allowed,
        title: allowed ? undefined : `Your role (${ctx.who.role}) may not pin or unpin`,
      },
      pinned ? 'Unpin' : 'Pin to legacy',
    );
    // No client-side role check here on purpose: the server decides; a refused request is shown as such.
    button.addEventListener('click', () => openPinDialog(slice, pinned ? 'unpin' : 'pin'));
    return button;
  }

  function openPinDialog(slice, action) {
    const note = h('textarea', {
      name: 'note',
      rows: 3,
      required: true,
      maxlength: 500,
      placeholder: 'e.g. INC-4711: mismatch spike after mapper change',
    });
    formDialog({
      title: action === 'pin' ? `Pin ${slice.id} to legacy` : `Unpin ${slice.id}`,
      intro:
        action === 'pin'
          ? 'Every request of this slice goes to legacy until someone unpins it. Recorded in the audit log.'
          : 'The slice returns to its flag’s stage. Recorded in the audit log.',
      fields: [field('Reason (required)', note)],
      confirm: action === 'pin' ? 'Pin to legacy' : 'Unpin',
      submit: async () => {
        const text = note.value.trim();
        if (!text) throw new Error('Say why: the reason is recorded in the audit log.');
        try {
          await ctx.api.post(`/admin/slices/${encodeURIComponent(slice.id)}/${action}`, { note: text });
        } catch (err) {
          const message = err.describe ? err.describe() : String(err);
          ctx.notify(`${action === 'pin' ? 'Pin' : 'Unpin'} of ${slice.id} refused. ${message}`, 'error');
          throw new Error(message);
        }
        ctx.notify(action === 'pin' ? `${slice.id} is pinned to legacy.` : `${slice.id} is unpinned.`);
        await load();
      },
    });
  }

  function render(data) {
    const f = data.flags;
    fill(
      banner,
      f.killSwitch ? h('div', { class: 'banner bad' }, 'Kill switch is ON: every slice is served by legacy.') : null,
      f.usable
        ? null
        : h(
            'div',
            { class: 'banner warn' },
            `Flags are not usable (${f.source}, stale ${num(Math.round(f.stalenessSeconds))} s): every slice is served by legacy.`,
          ),
    );
    const rows = data.slices.map((sl) => ({
      props: { dataset: { slice: sl.id } },
      cells: [
        h(
          'div',
          {},
          h('strong', {}, sl.id),
          h('div', { class: 'muted small', title: sl.description }, `${sl.method} ${prettyPath(sl.paths[0] ?? '')}`),
        ),
        h(
          'div',
          {},
          badge(sl.stage, STAGE_TONE[sl.stage] ?? 'neutral'),
          sl.mode !== sl.stage ? h('div', { class: 'small' }, 'routed: ', h('strong', {}, sl.mode)) : null,
        ),
        cell(flagText(sl.flags.serve), { class: 'num' }),
        cell(flagText(sl.flags.shadow), { class: 'num' }),
        healthCell(sl.health),
        pinCell(sl.pin),
        pinButton(sl),
      ],
    }));
    fill(
      body,
      table(
        [
          'Slice',
          'Stage',
          { text: 'Serve', props: { class: 'num' } },
          { text: 'Shadow', props: { class: 'num' } },
          'Health (window)',
          'Pin',
          '',
        ],
        rows,
        { empty: 'No slices configured.' },
      ),
    );
    fill(updated, 'updated ', when(new Date().toISOString()));
  }

  async function load() {
    try {
      render(await ctx.api.get('/admin/slices'));
    } catch (err) {
      fill(body, h('p', { class: 'error' }, err.describe ? err.describe() : String(err)));
    }
  }
  refreshButton.addEventListener('click', () => void load());
  return { el, show: () => void load() };
}
