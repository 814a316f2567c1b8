import fc from 'fast-check';
import { ORDERS_NS, SOAP_ENV_NS } from '../../../legacy-adapters/orders-soap.js';
import { LONG_MODE } from './budget.js';
import { hostileStringUpTo } from './hostile.js';

/**
 * Hostile SOAP answers: recorded envelopes with tags removed, duplicated or renamed, namespaces re-bound, text replaced
 * by entities, CDATA and junk, attributes added, a BOM, a DOCTYPE, comments, deep nesting. Mutations work on tokens
 * (tags, text, CDATA, comments), so most results are still well-formed XML and reach the mapper.
 */

/** Largest growth of one mutation, in characters: the parser reads about 2 MB/s, so a case stays in milliseconds. */
const REPEAT_MAX = LONG_MODE ? 1 << 18 : 1 << 13;

const TOKEN = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<[^>]*>|[^<]+/g;
const tokens = (xml: string): string[] => xml.match(TOKEN) ?? [xml];
const isOpen = (t: string) => /^<[A-Za-z_]/.test(t) && !t.endsWith('/>');
const isTag = (t: string) => /^<\/?[A-Za-z_]/.test(t);
const nameOf = (t: string) => /^<\/?([^\s/>]+)/.exec(t)?.[1] ?? '';
const escapeText = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Index after the element opened at `i` (its close tag included), or -1. */
function elementEnd(ts: readonly string[], i: number): number {
  const name = nameOf(ts[i] ?? '');
  let depth = 0;
  for (let j = i; j < ts.length; j++) {
    const t = ts[j] as string;
    if (!isTag(t) || nameOf(t) !== name) continue;
    if (t.startsWith('</')) depth--;
    else if (!t.endsWith('/>')) depth++;
    if (depth === 0) return j + 1;
  }
  return -1;
}

const NAMESPACES = [ORDERS_NS, SOAP_ENV_NS, 'urn:legacy:orders2', '', 'URN:LEGACY:ORDERS', 'urn:shop:loyalty'];
const PREFIXES = ['', 'o:', 'x:', 'soap:', 'ord:', 'xmlns:', 'a:b:'];
const ATTRIBUTES = [
  ' qty="2"',
  ' sku=""',
  ' currency="usd"',
  ' currency=" EUR "',
  ' xsi:nil="true"',
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"',
  ' currency="EUR" currency="USD"',
  ' lineNo="1"',
  ' ord:qty="3"',
  ' __proto__="x"',
  ' constructor="y"',
  ' text="&#13;&#9;&lt;"',
  ` xmlns="${ORDERS_NS}"`,
  ' xmlns="urn:other"',
  ' xmlns:ord="urn:other"',
  ` xmlns:ord="${SOAP_ENV_NS}"`,
  ` xmlns:soap="${ORDERS_NS}"`,
];
const TEXTS = [
  '&',
  '&amp;',
  '&#13;',
  '&#x0;',
  '&#xD800;',
  '&#1114112;',
  '&#x10FFFF;',
  '&nbsp;',
  '&copy;',
  '&unknown;',
  '&e;',
  ']]>',
  '<',
  '&#60;ord:Status&#62;SHIPPED&#60;/ord:Status&#62;',
  '<![CDATA[]]>',
  '<![CDATA[<ord:Status>]]>',
  '<!---->',
  '<?pi x?>',
  '\uFEFF',
  '\r\n',
  '   ',
];
const PROLOGS = [
  '\uFEFF',
  ' ',
  '\n\n',
  '<?xml version="1.0" encoding="ISO-8859-1"?>',
  '<?xml version="1.1"?>',
  '<!DOCTYPE x [<!ENTITY e "E">]>',
  '<!DOCTYPE x [<!ENTITY e "&#60;ord:Status&#62;">]>',
  '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
  '<!-- comment -->',
];

export interface XmlMutation {
  op:
    | 'removeToken'
    | 'removeElement'
    | 'duplicateElement'
    | 'repeatElement'
    | 'prefix'
    | 'namespace'
    | 'text'
    | 'cdata'
    | 'attribute'
    | 'prolog'
    | 'insert'
    | 'splice'
    | 'nest';
  at: number;
  n: number;
  junk: string;
}

export const xmlMutation: fc.Arbitrary<XmlMutation> = fc.record({
  op: fc.constantFrom(
    'removeToken',
    'removeElement',
    'duplicateElement',
    'repeatElement',
    'prefix',
    'namespace',
    'text',
    'cdata',
    'attribute',
    'prolog',
    'insert',
    'splice',
    'nest',
  ),
  at: fc.nat(),
  n: fc.nat(),
  junk: hostileStringUpTo(REPEAT_MAX),
});

const pick = <T>(xs: readonly T[], n: number): T => xs[n % xs.length] as T;

export function applyXmlMutation(xml: string, m: XmlMutation): string {
  const ts = tokens(xml);
  const i = m.at % ts.length;
  const t = ts[i] as string;
  const opens = ts.map((x, j) => (isOpen(x) ? j : -1)).filter((j) => j >= 0);
  const open = opens.length > 0 ? (opens[m.at % opens.length] as number) : -1;
  const end = open >= 0 ? elementEnd(ts, open) : -1;
  const join = (xs: string[]) => xs.join('');
  switch (m.op) {
    case 'removeToken':
      return join([...ts.slice(0, i), ...ts.slice(i + 1)]);
    case 'removeElement':
      return end < 0 ? xml : join([...ts.slice(0, open), ...ts.slice(end)]);
    case 'duplicateElement':
      return end < 0 ? xml : join([...ts.slice(0, end), ...ts.slice(open, end), ...ts.slice(end)]);
    case 'repeatElement':
      return end < 0
        ? xml
        : join([
            ...ts.slice(0, end),
            join(ts.slice(open, end)).repeat(
              Math.min(1 + (m.n % 500), Math.floor(REPEAT_MAX / (join(ts.slice(open, end)).length + 1))),
            ),
            ...ts.slice(end),
          ]);
    case 'prefix':
      if (!isTag(t)) return xml;
      return join([
        ...ts.slice(0, i),
        t.replace(/^<(\/?)(?:[^\s/>:]+:)?/, `<$1${pick(PREFIXES, m.n)}`),
        ...ts.slice(i + 1),
      ]);
    case 'namespace': {
      const declared = /xmlns(:[\w-]+)?="[^"]*"/g;
      if (declared.test(xml) && m.n % 2 === 0) {
        let k = 0;
        const target = m.at % (xml.match(declared)?.length ?? 1);
        return xml.replace(declared, (d, p: string | undefined) =>
          k++ === target ? `xmlns${p ?? ''}="${pick(NAMESPACES, m.n >> 1)}"` : d,
        );
      }
      if (open < 0) return xml;
      const tag = ts[open] as string;
      const decl = m.n % 3 === 0 ? ` xmlns="${pick(NAMESPACES, m.n)}"` : ` xmlns:ord="${pick(NAMESPACES, m.n)}"`;
      return join([...ts.slice(0, open), tag.replace(/^(<[^\s/>]+)/, `$1${decl}`), ...ts.slice(open + 1)]);
    }
    case 'text':
      if (isTag(t)) return xml;
      return join([
        ...ts.slice(0, i),
        m.n % 3 === 0 ? pick(TEXTS, m.n) : m.n % 3 === 1 ? escapeText(m.junk) : m.junk,
        ...ts.slice(i + 1),
      ]);
    case 'cdata':
      if (t.startsWith('<![CDATA[')) return join([...ts.slice(0, i), escapeText(t.slice(9, -3)), ...ts.slice(i + 1)]);
      if (isTag(t) || t.startsWith('<')) return xml;
      return join([
        ...ts.slice(0, i),
        `<![CDATA[${(m.n % 2 ? m.junk : t).replaceAll(']]>', ']]]]><![CDATA[>')}]]>`,
        ...ts.slice(i + 1),
      ]);
    case 'attribute':
      if (open < 0) return xml;
      return join([
        ...ts.slice(0, open),
        (ts[open] as string).replace(/>$/, `${pick(ATTRIBUTES, m.n)}>`),
        ...ts.slice(open + 1),
      ]);
    case 'prolog': {
      const p = pick(PROLOGS, m.n);
      if (p.startsWith('<?xml')) return xml.replace(/^<\?xml[^>]*\?>/, p);
      if (p.startsWith('<!DOCTYPE')) return xml.replace(/^(<\?xml[^>]*\?>)?/, `$1${p}`);
      return p + xml;
    }
    case 'insert':
      return join([...ts.slice(0, i), pick(TEXTS, m.n), ...ts.slice(i)]);
    case 'splice': {
      const at = m.at % (xml.length + 1);
      return xml.slice(0, at) + m.junk + xml.slice(at);
    }
    case 'nest': {
      // Unmodelled elements nested around and past the parser's own limit (100 levels).
      const depth = m.n % 4 === 0 ? 90 + (m.n % 400) : 1 + (m.n % 40);
      const name = pick(['x', 'ord:Gift', 'ord:Item', 'ord:Note', 'y:z'], m.n);
      const at = open >= 0 ? open + 1 : i;
      return join([...ts.slice(0, at), `<${name}>`.repeat(depth) + `</${name}>`.repeat(depth), ...ts.slice(at)]);
    }
  }
}

/** A recorded envelope with 1–4 token-level mutations. */
export function mutatedXml(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(base, fc.array(xmlMutation, { minLength: 1, maxLength: 4 }))
    .map(([xml, ms]) => ms.reduce(applyXmlMutation, xml));
}
