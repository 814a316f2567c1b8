// DOM helpers. Everything the API returns is untrusted: it only ever reaches the page as text nodes and attribute
// values (never innerHTML, never an href), so a diff body full of markup stays text.

/** Creates an element: `h('td', { class: 'num', title: 'x' }, 'text', child)`. `on*` props add listeners. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Appends children; strings and numbers become text nodes. */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A table with a header row; `rows` are arrays of cells (a cell is a node, text, or `{ cell, class }`). */
export function table(headers, rows, opts = {}) {
  const head = h(
    'tr',
    {},
    headers.map((x) =>
      typeof x === 'string' ? h('th', { scope: 'col' }, x) : h('th', { scope: 'col', ...x.props }, x.text),
    ),
  );
  const body = rows.map((r) =>
    h(
      'tr',
      r.props ?? {},
      (r.cells ?? r).map((c) =>
        c && typeof c === 'object' && 'cell' in c ? h('td', c.props ?? {}, c.cell) : h('td', {}, c),
      ),
    ),
  );
  const t = h('table', { class: opts.class ?? 'grid' }, h('thead', {}, head), h('tbody', {}, body));
  if (rows.length === 0) {
    t.tBodies[0].append(
      h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, opts.empty ?? 'Nothing yet.')),
    );
  }
  if (opts.caption) t.prepend(h('caption', {}, opts.caption));
  return t;
}

/** A cell with props: `cell(node, { class: 'num' })`. */
export const cell = (content, props = {}) => ({ cell: content, props });

/** A coloured label. `tone`: ok | warn | bad | info | neutral. */
export const badge = (text, tone = 'neutral', title) => h('span', { class: `badge ${tone}`, title }, text);

/** A rate in [0,1] as a percentage (`5 %`, `2.5 %`, `< 0.1 %`); null (no data) as an em dash. */
export function pct(rate) {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—';
  if (rate > 0 && rate < 0.001) return '< 0.1 %';
  return `${(rate * 100).toFixed(1).replace(/\.0$/, '')} %`;
}

export const num = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '—');

const pad = (n) => String(n).padStart(2, '0');

/** Local date and time, `2025-01-31 14:05:09`; the ISO value goes in a tooltip. */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return h('time', { datetime: d.toISOString(), title: `${d.toISOString()} (${ago(d)})` }, text);
}

export function ago(d) {
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/** A JSON value on one line, shortened; the full text goes in a tooltip. */
export function jsonCell(value, max = 120) {
  if (value === undefined) return h('span', { class: 'muted' }, '(absent)');
  const text = JSON.stringify(value);
  if (text.length <= max) return h('code', {}, text);
  return h('code', { title: text }, `${text.slice(0, max - 1)}…`);
}

/** A section with a heading row (title, optional tools on the right) and a body. */
export function section(title, tools = [], ...body) {
  return h(
    'section',
    { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, title), h('div', { class: 'tools' }, tools)),
    body,
  );
}

/**
 * A modal form: fields are nodes; `submit(form)` resolves to close or throws an Error whose message is shown in
 * the dialog. Returns once the dialog is open.
 */
export function formDialog({ title, intro, fields, confirm, submit }) {
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const ok = h('button', { type: 'submit', class: 'primary' }, confirm);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const form = h('form', { class: 'dialog-form' }, h('h2', {}, title), intro ? h('p', {}, intro) : null, fields, error);
  form.append(h('div', { class: 'actions' }, cancel, ok));
  const dialog = h('dialog', { class: 'dialog' }, form);
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  cancel.addEventListener('click', close);
  dialog.addEventListener('cancel', close);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    ok.disabled = true;
    error.hidden = true;
    submit(form).then(close, (err) => {
      ok.disabled = false;
      fill(error, err instanceof Error ? err.message : String(err));
      error.hidden = false;
    });
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = form.querySelector('textarea, input, select');
  if (first) first.focus();
  return dialog;
}

/** A labelled field: `field('Reason', h('textarea', { name: 'reason', required: true }))`. */
export function field(label, control, hint) {
  const id = `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { class: 'muted' }, hint) : null,
  );
}
