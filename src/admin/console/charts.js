// Small inline SVG bar charts (one bar per minute), drawn with DOM APIs: no library, no external URL.
import { h, num, s } from './dom.js';

const MINUTE = 60_000;

/** The last `minutes` minute buckets, oldest first, missing minutes as zero counts. */
export function minuteBuckets(points, minutes, now = Date.now()) {
  const byMinute = new Map();
  for (const p of points ?? []) {
    const t = Date.parse(p.t);
    if (!Number.isNaN(t)) byMinute.set(Math.floor(t / MINUTE), p.counts ?? {});
  }
  const last = Math.floor(now / MINUTE);
  const out = [];
  for (let m = last - minutes + 1; m <= last; m++)
    out.push({ at: new Date(m * MINUTE), counts: byMinute.get(m) ?? {} });
  return out;
}

const hhmm = (d) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

/**
 * A bar chart of one counter over the buckets. `tone` picks the bar colour (CSS); the largest value labels the
 * scale, the sum the total. Each bar has a tooltip with its minute and value.
 */
export function barChart(label, buckets, key, tone) {
  const values = buckets.map((b) => Number(b.counts[key] ?? 0));
  const max = Math.max(1, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const W = 240;
  const H = 44;
  const step = W / Math.max(values.length, 1);
  const bars = values.map((v, i) => {
    const height = v === 0 ? 0 : Math.max(1.5, (v / max) * (H - 4));
    return s(
      'rect',
      {
        x: (i * step).toFixed(2),
        y: (H - height).toFixed(2),
        width: Math.max(1, step - 1).toFixed(2),
        height: height.toFixed(2),
        class: `bar ${tone}`,
      },
      s('title', {}, `${hhmm(buckets[i].at)} — ${num(v)} ${label.toLowerCase()}`),
    );
  });
  const svg = s(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': `${label}: ${num(total)} in ${values.length} minutes`,
    },
    s('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'axis' }),
    bars,
  );
  return h(
    'figure',
    { class: 'chart', dataset: { key, total: String(total) } },
    h(
      'figcaption',
      {},
      h('span', {}, label),
      h('strong', {}, num(total)),
      h('small', { class: 'muted' }, `max ${num(max === 1 && total === 0 ? 0 : max)}/min`),
    ),
    svg,
    h('div', { class: 'chart-axis small muted' }, h('span', {}, hhmm(buckets[0].at)), h('span', {}, 'now')),
  );
}
