// SREs: fallback rates by reason, breakers, flag provider and state backend health, readiness, and per-minute charts
// of the last hour; refreshed every 5 s while the view is open (pausable).
import { barChart, minuteBuckets } from './charts.js';
import { badge, cell, fill, h, num, pct, section, table, when } from './dom.js';
import { healthCell, VERDICT_TONE } from './view-rollout.js';

const REFRESH_MS = 5000;
const BREAKER_TONE = { closed: 'ok', half_open: 'warn', open: 'bad' };

const errorText = (err) => (err.describe ? err.describe() : String(err));

function statusCard(title, tone, headline, rows) {
  return h(
    'div',
    { class: `status-card ${tone}` },
    h('h3', {}, title),
    h('div', { class: 'headline' }, headline),
    h(
      'dl',
      {},
      rows.filter(Boolean).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
    ),
  );
}

export function createSreView(ctx) {
  let timer = null;
  let paused = false;
  let visible = false;
  const cards = h('div', { class: 'status-cards' });
  const slicesBody = h('div', { class: 'table-wrap' });
  const chartsBody = h('div', { class: 'charts' });
  const updated = h('small', { class: 'muted', id: 'sre-updated' });
  const pauseButton = h('button', { type: 'button', id: 'sre-pause', 'aria-pressed': 'false' }, 'Pause auto-refresh');
  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
    pauseButton.setAttribute('aria-pressed', String(paused));
    schedule();
    if (!paused) void load();
  });

  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'toolbar' },
      h('span', { class: 'muted' }, `Auto-refresh every ${REFRESH_MS / 1000} s · `),
      updated,
      pauseButton,
    ),
    cards,
    section('Fallbacks and breakers', [], slicesBody),
    section(
      'Last 60 minutes',
      [h('small', { class: 'muted' }, 'per minute, all replicas when Redis is shared')],
      chartsBody,
    ),
  );

  function renderCards(data, ready) {
    const f = data.flags;
    const stale = Number.isFinite(f.stalenessSeconds) ? `${num(Math.round(f.stalenessSeconds))} s` : 'never synced';
    fill(
      cards,
      statusCard(
        'Flag provider',
        !f.usable || f.killSwitch ? 'bad' : f.up ? 'ok' : 'warn',
        [
          badge(f.up ? 'up' : 'down', f.up ? 'ok' : 'bad'),
          ' ',
          badge(f.usable ? 'usable' : 'not usable', f.usable ? 'ok' : 'bad'),
        ],
        [
          ['Source', `${f.source}${f.origin ? ` (${f.origin})` : ''}`],
          ['Staleness', stale],
          ['Kill switch', f.killSwitch ? badge('ON', 'bad') : 'off'],
          f.error ? ['Error', f.error] : null,
        ],
      ),
      statusCard(
        'State backend',
        data.state.healthy ? 'ok' : 'bad',
        badge(data.state.healthy ? 'healthy' : 'unreachable', data.state.healthy ? 'ok' : 'bad'),
        [
          ['Backend', data.state.backend],
          ['Pins, audit, counters', data.state.backend === 'redis' ? 'shared across replicas' : 'this replica only'],
        ],
      ),
      statusCard(
        'Readiness',
        ready?.status === 'ready' ? 'ok' : 'bad',
        badge(ready?.status ?? 'unknown', ready?.status === 'ready' ? 'ok' : 'bad'),
        Object.entries(ready?.checks ?? {}).map(([k, c]) => [k, h('span', {}, c.ok ? '✓ ' : '✗ ', c.detail ?? '')]),
      ),
    );
  }

  /** Another replica's breaker holds the slice open (shared state). */
  function sharedOpen(shared) {
    return Boolean(shared && shared.openUntil > Date.now());
  }

  function renderSlices(data) {
    const rows = data.slices.map((sl) => {
      const reasons = Object.entries(sl.fallbackRateByReason ?? {});
      const counts = sl.requests.fallbacks ?? {};
      return {
        props: { dataset: { slice: sl.id } },
        cells: [
          h('strong', {}, sl.id),
          h(
            'div',
            {},
            badge(sl.breaker.state.replace('_', ' '), BREAKER_TONE[sl.breaker.state] ?? 'neutral'),
            sl.breaker.openedAt
              ? h('div', { class: 'small muted' }, 'opened ', when(new Date(sl.breaker.openedAt).toISOString()))
              : sharedOpen(sl.breaker.shared)
                ? h('div', { class: 'small muted' }, 'opened by replica ', sl.breaker.shared.replica)
                : null,
          ),
          cell(num(sl.requests.requests), { class: 'num' }),
          cell(`${num(sl.requests.servedByNew)} / ${num(sl.requests.servedByLegacy)}`, { class: 'num' }),
          cell(sl.requests.newAttempts ? h('strong', {}, pct(sl.fallbackRate)) : h('span', { class: 'muted' }, '—'), {
            class: 'num',
            title: `${num(sl.requests.newAttempts)} new-path attempts`,
          }),
          reasons.length
            ? h(
                'div',
                { class: 'chips' },
                reasons.map(([r, rate]) =>
                  h(
                    'span',
                    { class: 'chip', dataset: { reason: r } },
                    h('code', {}, r),
                    ` ${pct(rate)} (${num(counts[r] ?? 0)})`,
                  ),
                ),
              )
            : h('span', { class: 'muted' }, 'none'),
          cell(num(sl.requests.errors), { class: 'num' }),
          sl.health
            ? badge(sl.health.verdict, VERDICT_TONE[sl.health.verdict] ?? 'neutral')
            : h('span', { class: 'muted' }, '—'),
        ],
      };
    });
    fill(
      slicesBody,
      table(
        [
          'Slice',
          'Breaker',
          { text: 'Requests', props: { class: 'num' } },
          { text: 'New / legacy', props: { class: 'num' } },
          { text: 'Fallback rate', props: { class: 'num' } },
          'Fallbacks by reason (rate, count)',
          { text: 'Errors', props: { class: 'num' } },
          'Verdict',
        ],
        rows,
        { empty: 'No slices configured.' },
      ),
      data.slices.some((sl) => sl.health)
        ? h(
            'details',
            { class: 'small' },
            h('summary', {}, 'Pin-back rule details'),
            data.slices.map((sl) => h('div', { class: 'rule-detail' }, h('strong', {}, sl.id), healthCell(sl.health))),
          )
        : null,
    );
  }

  function renderCharts(series) {
    const all = Object.entries(series.slices ?? {}).map(([id, points]) => [id, minuteBuckets(points, series.minutes)]);
    const active = all.filter(([, buckets]) => buckets.some((b) => Object.keys(b.counts).length > 0));
    const idle = all.filter((entry) => !active.includes(entry)).map(([id]) => id);
    fill(
      chartsBody,
      active.map(([id, buckets]) =>
        h(
          'div',
          { class: 'chart-row', dataset: { slice: id } },
          h('div', { class: 'chart-title' }, h('strong', {}, id)),
          barChart('Requests', buckets, 'requests', 'blue'),
          barChart('Fallbacks', buckets, 'fallbacks', 'amber'),
          barChart('Mismatches', buckets, 'mismatches', 'red'),
        ),
      ),
      active.length === 0 ? h('p', { class: 'muted' }, 'No traffic on any slice in the last hour.') : null,
      idle.length && active.length
        ? h('p', { class: 'muted small idle' }, `No traffic in the last hour: ${idle.join(', ')}.`)
        : null,
    );
  }

  async function readiness() {
    try {
      const res = await fetch(`${location.pathname.replace(/\/console\/?$/, '')}/readyz`, { cache: 'no-store' });
      return await res.json();
    } catch {
      return null;
    }
  }

  async function load() {
    try {
      const [data, series, ready] = await Promise.all([
        ctx.api.get('/admin/slices'),
        ctx.api.get('/admin/series?minutes=60'),
        readiness(),
      ]);
      renderCards(data, ready);
      renderSlices(data);
      renderCharts(series);
      fill(updated, 'updated ', when(new Date().toISOString()));
    } catch (err) {
      fill(updated, h('span', { class: 'error' }, errorText(err)));
    }
  }

  function schedule() {
    if (timer) clearInterval(timer);
    timer = null;
    if (visible && !paused) {
      timer = setInterval(() => {
        if (!document.hidden) void load();
      }, REFRESH_MS);
    }
  }

  return {
    el,
    show() {
      visible = true;
      void load();
      schedule();
    },
    hide() {
      visible = false;
      schedule();
    },
    destroy() {
      visible = false;
      schedule();
    },
  };
}
