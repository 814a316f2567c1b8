import { type OrderStatusV1, type OrderV1, OrderV1Schema } from '../contracts/v1/order.js';
import {
  asObject,
  checkNesting,
  codeToEnum,
  emptyToNull,
  enumToCode,
  isoToLegacyTimestamp,
  legacyTimestampToIso,
  stringToNumber,
} from './common.js';
import { type Carry, type Mapped, MappingError } from './mapping-error.js';

/**
 * SOAP order service `GetOrderStatusResponse/Order` ↔ OrderV1 / OrderStatusV1. Pure.
 *
 * Input is the `Order` element as legacy-adapters/orders-soap.ts parses it (fast-xml-parser shape after namespace
 * resolution: element local names as keys, attributes as `@_name`, text as `#text` when an element has attributes,
 * CDATA merged into text verbatim, repeated elements as arrays, `Items.Item` always an array).
 * - `PlacedAt` is the shop's wall clock in `timeZone` (IANA, default Europe/Berlin, the zone the order backend runs
 *   in); `EstimatedDelivery` is a calendar date and is never shifted by a zone.
 * - Unmodelled elements and attributes are carried through (`Order.Gift`, `Order.Items.Item[0].@lineNo`) and reported
 *   as gaps. Legacy spellings the contract normalises (`010001`, `shipped`, `49.9`, a blank Carrier) are kept in the
 *   carry and rendered again while the contract value is unchanged, so answers stay byte-identical.
 *
 * Canonical XML comparison (what "byte-compatible" means for XML): two documents are equal when the adapter's
 * namespace-resolving parse yields deep-equal trees. Prefixes (`ord:`, `o:`, a default namespace), CDATA vs escaped
 * text, `<x/>` vs `<x></x>`, attribute order and quoting, and whitespace between elements do not count; element
 * names and order, attribute values and text do. For orders legacy itself rendered, the output is byte-identical.
 */
export const ORDERS_NS = 'urn:legacy:orders';
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const ORDER_TIME_ZONE = 'Europe/Berlin';

export interface OrderMapOptions {
  /** IANA zone of legacy `YYYYMMDD HHmmss` timestamps (default Europe/Berlin). */
  timeZone?: string;
}

/** Carry of an order: also legacy spellings and the unmodelled parts of modelled elements. */
export interface OrderCarry extends Carry {
  /** By slot (`CustomerId`, `Total/@_currency`, `Items/Item[0]/@_qty`): legacy text and what the value rendered to. */
  originals: Record<string, { raw: string; rendered: string }>;
  /** Unmodelled attributes and children of modelled elements, by element (`Total`, `Items`, `Items/Item[1]`). */
  nested: Record<string, Record<string, unknown>>;
  /** How many unmodelled children of Items come before the Item elements (default 0: Items first). */
  itemsAt?: number;
}

const STATES = {
  PROCESSING: 'processing',
  ON_HOLD: 'on_hold',
  SHIPPED: 'shipped',
  DELIVERED: 'delivered',
  CANCELLED: 'cancelled',
} as const;

/** A text-only element of Order and its contract field. */
interface Leaf {
  el: string;
  key: keyof OrderV1;
  from(text: string | undefined, path: string, timeZone: string): unknown;
  /** Canonical legacy text of the contract value. */
  to(o: OrderV1, timeZone: string): string;
}

const nullable = (t: string | undefined, p: string) => emptyToNull(t, p);
const LEAVES: readonly Leaf[] = [
  { el: 'OrderId', key: 'id', from: (t, p) => required(emptyToNull(t, p), p), to: (o) => o.id },
  {
    el: 'CustomerId',
    key: 'customerId',
    from: (t, p) => required(stringToNumber(t, p, { integer: true }), p),
    to: (o) => String(o.customerId),
  },
  { el: 'Status', key: 'status', from: (t, p) => codeToEnum(t, STATES, p), to: (o) => enumToCode(o.status, STATES) },
  { el: 'Carrier', key: 'carrier', from: nullable, to: (o) => o.carrier ?? '' },
  { el: 'TrackingNo', key: 'trackingNumber', from: nullable, to: (o) => o.trackingNumber ?? '' },
  {
    el: 'PlacedAt',
    key: 'placedAt',
    from: (t, p, tz) => required(wallClockToIso(t, p, tz), p),
    to: (o, timeZone) => isoToLegacyTimestamp(o.placedAt, { timeZone }),
  },
  {
    el: 'EstimatedDelivery',
    key: 'estimatedDelivery',
    // A calendar date: read in UTC so no zone can move it to another day.
    from: (t, p) => legacyTimestampToIso(t, p, 'UTC')?.slice(0, 10) ?? null,
    to: (o) => o.estimatedDelivery?.replaceAll('-', '') ?? '',
  },
  { el: 'Note', key: 'note', from: nullable, to: (o) => o.note ?? '' },
];

/** Legacy element order: rendering without a carry uses it. */
const ELEMENTS = [...LEAVES.slice(0, 5).map((l) => l.el), 'Total', ...LEAVES.slice(5).map((l) => l.el), 'Items'];
const KNOWN = new Set<string>(ELEMENTS);

/** Contract path → legacy path, for MappingError issues. */
const LEGACY_PATH: Record<string, string> = {
  ...Object.fromEntries(LEAVES.map((l) => [l.key, l.el])),
  total: 'Total',
  'total.currency': 'Total.@currency',
  items: 'Items',
};
const ITEM_PATH: Record<string, string> = { sku: '@sku', quantity: '@qty', name: '#text' };

const display = (key: string) => (key.startsWith('@_') ? `@${key.slice(2)}` : key);
/** `Items/Item[0]` + `@_lineNo` → `Order.Items.Item[0].@lineNo` (the gap and issue path notation). */
const legacyPath = (owner: string, key?: string) =>
  ['Order', ...(owner === '' ? [] : owner.split('/')), ...(key === undefined ? [] : [display(key)])].join('.');

/**
 * Wall clock in `timeZone` → ISO UTC (mappers/common.ts: the repeated autumn hour resolves to the later instant, a
 * time in the spring gap moves forward by the gap, east and west of Greenwich alike).
 */
export function wallClockToIso(v: unknown, path: string, timeZone: string): string | null {
  return legacyTimestampToIso(v, path, timeZone);
}

interface Node {
  /** Element text; undefined when the element is absent. */
  text: string | undefined;
  at(attr: string): string | undefined;
}

/** Reads one mapping call's legacy tree; collects issues, gaps, carried parts and legacy spellings. */
class Reader {
  readonly issues: string[] = [];
  readonly gaps: string[] = [];
  readonly nested: Record<string, Record<string, unknown>> = {};
  /** Raw legacy text by slot. */
  readonly raw = new Map<string, string>();
  /** Unmodelled children of Items before the Item elements. */
  itemsAt = 0;

  try<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof MappingError)) throw e;
      this.issues.push(...(e.issues.length > 0 ? e.issues : [e.message]));
      return null;
    }
  }

  /** Text and known attributes of element `v` at `owner`; anything else is carried. Absent → text undefined. */
  node(v: unknown, owner: string, attrs: readonly string[] = [], hasText = true): Node {
    const got = new Map<string, string>();
    let text: string | undefined;
    if (typeof v === 'string') text = v;
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const rest: [string, unknown][] = [];
      for (const [k, x] of Object.entries(v)) {
        if (hasText && k === '#text' && typeof x === 'string') text = x;
        else if (attrs.includes(k) && typeof x === 'string') got.set(k, x);
        else rest.push([k, x]);
      }
      text ??= '';
      if (rest.length > 0) {
        // fromEntries, not assignment: a legacy key named "__proto__" must stay a plain own property.
        this.nested[owner] = Object.fromEntries(rest);
        for (const [k] of rest) this.gaps.push(legacyPath(owner, k));
      }
    } else if (v !== undefined) this.issues.push(`${legacyPath(owner)}: not an XML element`);
    if (text !== undefined) this.raw.set(owner, text);
    for (const [k, x] of got) this.raw.set(`${owner}/${k}`, x);
    return { text, at: (a) => got.get(a) };
  }
}

function single(src: Record<string, unknown>, name: string, r: Reader): unknown {
  const v = Object.hasOwn(src, name) ? src[name] : undefined;
  if (!Array.isArray(v)) return v;
  r.issues.push(`Order.${name}: occurs ${v.length} times, once expected`);
  return undefined;
}

function required<T>(v: T | null, path: string): T {
  if (v === null) throw new MappingError(`${path} is missing`, [`${path}: required`]);
  return v;
}

/** Money never rounds silently: a third non-zero decimal is an error, `049.9` becomes `49.90`. */
function amountOf(text: string | undefined, path: string): string {
  required(stringToNumber(text, path), path);
  const t = (text ?? '').trim().replace(/^\+/, '');
  if (t.startsWith('-')) throw new MappingError(`${path} is negative`, [`${path}: ${t}`]);
  const [int = '', frac = ''] = t.split('.');
  if (/[1-9]/.test(frac.slice(2))) throw new MappingError(`${path} has more than two decimals`, [`${path}: ${t}`]);
  return `${int.replace(/^0+(?=\d)/, '') || '0'}.${frac.slice(0, 2).padEnd(2, '0')}`;
}

function mapItems(v: unknown, r: Reader): unknown[] {
  if (v === undefined || v === '') return [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    r.issues.push('Order.Items: not an element with Item children');
    return [];
  }
  const { Item, ...rest } = v as Record<string, unknown>;
  r.node(rest, 'Items', [], false);
  // Keys keep the order the elements came in: an unmodelled child before the items must be rendered before them.
  r.itemsAt = Math.max(0, Object.keys(v).indexOf('Item'));
  const list = Item === undefined ? [] : Array.isArray(Item) ? Item : [Item];
  return list.map((item, i) => {
    const owner = `Items/Item[${i}]`;
    const path = `Order.Items.Item[${i}]`;
    const n = r.node(item, owner, ['@_sku', '@_qty']);
    return {
      sku: r.try(() => required(emptyToNull(n.at('@_sku'), `${path}.@sku`), `${path}.@sku`)),
      quantity: r.try(() => required(stringToNumber(n.at('@_qty'), `${path}.@qty`, { integer: true }), `${path}.@qty`)),
      name: r.try(() => emptyToNull(n.text, `${path}.#text`)),
    };
  });
}

/** Legacy `Order` element → OrderV1. Throws MappingError only, listing every broken legacy field. */
export function orderFromLegacy(payload: unknown, opts: OrderMapOptions = {}): Mapped<OrderV1> & { carry: OrderCarry } {
  const src = asObject(payload, 'Order');
  checkNesting(src, 'Order');
  const tz = opts.timeZone ?? ORDER_TIME_ZONE;
  const r = new Reader();
  const rest = Object.entries(src).filter(([k]) => !KNOWN.has(k));
  for (const [k] of rest) r.gaps.push(legacyPath('', k));
  const out: Record<string, unknown> = {};
  for (const l of LEAVES) {
    const path = `Order.${l.el}`;
    const before = r.issues.length;
    const text = r.node(single(src, l.el, r), l.el).text;
    // A repeated element is reported once, not again as missing.
    out[l.key] = r.issues.length > before ? null : r.try(() => l.from(text, path, tz));
  }
  const total = r.node(single(src, 'Total', r), 'Total', ['@_currency']);
  const currency = total.at('@_currency');
  out.total = {
    amount: r.try(() => amountOf(total.text, 'Order.Total')),
    currency: r.try(() => required(emptyToNull(currency, 'Order.Total.@currency'), 'Order.Total.@currency')),
  };
  out.items = mapItems(single(src, 'Items', r), r);
  if (r.issues.length > 0) throw new MappingError('Order does not match the order service schema', r.issues);
  const parsed = OrderV1Schema.safeParse(out);
  if (!parsed.success) {
    throw new MappingError(
      'Order does not match OrderV1',
      parsed.error.issues.map((i) => {
        const [a, b, c] = i.path.map(String);
        const legacy =
          a === 'items' && b !== undefined
            ? `Items.Item[${b}]${c === undefined ? '' : `.${ITEM_PATH[c] ?? c}`}`
            : (LEGACY_PATH[`${a}.${b}`] ?? LEGACY_PATH[a ?? ''] ?? i.path.join('.'));
        return `Order.${legacy}: ${i.message}`;
      }),
    );
  }
  const value = parsed.data;
  const originals: OrderCarry['originals'] = {};
  for (const [slot, rendered] of slots(value, tz)) {
    const raw = r.raw.get(slot);
    if (raw !== undefined && raw !== rendered) originals[slot] = { raw, rendered };
  }
  const carry: OrderCarry = {
    order: Object.keys(src),
    extra: Object.fromEntries(rest),
    gaps: r.gaps,
    originals,
    nested: r.nested,
    ...(r.itemsAt > 0 ? { itemsAt: r.itemsAt } : {}),
  };
  return { value, carry };
}

/** The status view of an order (no money, items or note). */
export function orderStatusOf(o: OrderV1): OrderStatusV1 {
  return {
    orderId: o.id,
    status: o.status,
    carrier: o.carrier,
    trackingNumber: o.trackingNumber,
    estimatedDelivery: o.estimatedDelivery,
  };
}

/**
 * Legacy `Order` element → OrderStatusV1. A projection of the order: the carry is the order's, and the fields the
 * status view leaves out are not gaps (OrderV1 models them; the same caller can map the order when it needs them).
 */
export function orderStatusFromLegacy(
  payload: unknown,
  opts: OrderMapOptions = {},
): Mapped<OrderStatusV1> & { carry: OrderCarry } {
  const { value, carry } = orderFromLegacy(payload, opts);
  return { value: orderStatusOf(value), carry };
}

/** Canonical legacy text of every slot of `o`. */
function slots(o: OrderV1, timeZone: string): Map<string, string> {
  const out = new Map(LEAVES.map((l) => [l.el, l.to(o, timeZone)]));
  out.set('Total', o.total.amount).set('Total/@_currency', o.total.currency);
  o.items.forEach((it, i) => {
    out.set(`Items/Item[${i}]/@_sku`, it.sku).set(`Items/Item[${i}]/@_qty`, String(it.quantity));
    out.set(`Items/Item[${i}]`, it.name ?? '');
  });
  return out;
}

function isOrderCarry(c: Carry | undefined): c is OrderCarry {
  return c !== undefined && 'originals' in c && 'nested' in c;
}

/**
 * OrderV1 → the legacy `Order` element as the adapter parses it: legacy element order, carried-through parts and
 * legacy spellings back in place. An element legacy omitted stays omitted while its value is empty.
 */
export function orderToLegacy(o: OrderV1, carry?: Carry, opts: OrderMapOptions = {}): Record<string, unknown> {
  const full = isOrderCarry(carry) ? carry : undefined;
  const text = slots(o, opts.timeZone ?? ORDER_TIME_ZONE);
  const slot = (key: string) => {
    const t = text.get(key) ?? '';
    const orig = full?.originals[key];
    return orig !== undefined && orig.rendered === t ? orig.raw : t;
  };
  const element = (owner: string, attrs: readonly string[] = []) => {
    const nested = full?.nested[owner];
    const t = slot(owner);
    if (attrs.length === 0 && nested === undefined) return t;
    const entries: [string, unknown][] = attrs.map((a) => [a, slot(`${owner}/${a}`)]);
    if (t !== '') entries.push(['#text', t]);
    return Object.fromEntries([...entries, ...Object.entries(nested ?? {})]);
  };
  const items = () => {
    const list = o.items.map((_, i) => element(`Items/Item[${i}]`, ['@_sku', '@_qty']));
    const nested = Object.entries(full?.nested.Items ?? {});
    if (list.length === 0 && nested.length === 0) return '';
    const at = Math.min(full?.itemsAt ?? 0, nested.length);
    const own: [string, unknown][] = list.length > 0 ? [['Item', list]] : [];
    return Object.fromEntries([...nested.slice(0, at), ...own, ...nested.slice(at)]);
  };
  const build = (key: string): unknown =>
    key === 'Total' ? element('Total', ['@_currency']) : key === 'Items' ? items() : element(key);
  const order = carry?.order ?? ELEMENTS;
  const entries: [string, unknown][] = [];
  for (const key of order) {
    if (KNOWN.has(key)) entries.push([key, build(key)]);
    else if (carry !== undefined && Object.hasOwn(carry.extra, key)) entries.push([key, carry.extra[key]]);
  }
  // Modelled elements legacy did not send: omitted while empty, else inserted after their legacy predecessor.
  ELEMENTS.forEach((key, i) => {
    if (order.includes(key)) return;
    const v = build(key);
    if (v === '') return;
    const prev = ELEMENTS.slice(0, i).findLast((k) => entries.some(([e]) => e === k));
    const at = prev === undefined ? 0 : entries.findIndex(([e]) => e === prev) + 1;
    entries.splice(at, 0, [key, v]);
  });
  return Object.fromEntries(entries);
}

const escapeText = (s: string) =>
  s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    // Parsers turn a raw CR into LF (XML line-end normalisation): only a character reference keeps it.
    .replaceAll('\r', '&#13;');
// Attribute-value normalisation turns raw tabs and newlines into spaces.
const escapeAttr = (s: string) => escapeText(s).replaceAll('\t', '&#9;').replaceAll('\n', '&#10;');

/** The Note as legacy sends it: CDATA, split around `]]>` and around CRs (which CDATA cannot keep). */
function cdata(s: string): string {
  return s
    .split('\r')
    .map((part) => (part === '' ? '' : `<![CDATA[${part.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`))
    .join('&#13;');
}

/** Tag of a parsed key: our namespace as `ord:`, another one (`{uri}Local`) re-declared as a default namespace. */
function tagOf(key: string): [open: string, close: string] {
  if (!key.startsWith('{')) return key.includes(':') ? [key, key] : [`ord:${key}`, `ord:${key}`];
  // The local name is an XML name (no `}`); the namespace URI before it may hold one (`{urn:a}b}Local`).
  const end = key.lastIndexOf('}');
  const local = key.slice(end + 1);
  return [`${local} xmlns="${escapeAttr(key.slice(1, end))}"`, local];
}

function renderXml(key: string, v: unknown, path: string): string {
  if (Array.isArray(v)) return v.map((x) => renderXml(key, x, path)).join('');
  const text = (s: string) => (path === 'Order.Note' ? cdata(s) : escapeText(s));
  const [open, close] = tagOf(key);
  let attrs = '';
  let body = '';
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('@_')) attrs += ` ${k.slice(2)}="${escapeAttr(String(x))}"`;
      else if (k === '#text') body += text(String(x));
      else body += renderXml(k, x, `${path}.${k}`);
    }
  } else body = text(v === undefined || v === null ? '' : String(v));
  // Legacy writes an empty Items list as an open/close pair and every other empty element self-closed.
  return body === '' && path !== 'Order.Items' ? `<${open}${attrs}/>` : `<${open}${attrs}>${body}</${close}>`;
}

/** OrderV1 → the `<ord:Order>` element text (the `ord` prefix is declared on the envelope, as legacy does). */
export function renderOrderXml(o: OrderV1, carry?: Carry, opts: OrderMapOptions = {}): string {
  return renderXml('Order', orderToLegacy(o, carry, opts), 'Order');
}

/** The whole `GetOrderStatus` answer (Code 0) for an order, byte for byte as the order service writes it. */
export function renderOrderStatusResponse(o: OrderV1, carry?: Carry, opts: OrderMapOptions = {}): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="${SOAP_ENV_NS}" xmlns:ord="${ORDERS_NS}"><soap:Body><ord:GetOrderStatusResponse>` +
    `<ord:Result><ord:Code>0</ord:Code><ord:Message/></ord:Result>${renderOrderXml(o, carry, opts)}` +
    '</ord:GetOrderStatusResponse></soap:Body></soap:Envelope>'
  );
}
