import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { Errors, GatewayError } from '../src/errors.js';
import type { CallOptions, LegacyHttp, LegacyResponse } from './http.js';

/**
 * The SOAP order service (SOAP 1.1, document/literal, one operation). Answers are parsed with fast-xml-parser and
 * then namespace-resolved, so `ord:`, `o:` or a default namespace give the same tree: elements of the SOAP envelope
 * and order namespaces (and unqualified ones, like `faultcode`) are keyed by local name, elements of any other
 * namespace as `{uri}Local`, so they never pass for ours. Legacy's business errors come inside an HTTP 200 and become
 * GatewayErrors here:
 * - `E102` (unknown order) → `GW_LEGACY_NOT_FOUND` 404, shown to clients;
 * - any other non-zero Code → `GW_LEGACY_ERROR_IN_200` 502, retryable for `E5xx`;
 * - a `soap:Fault` (any HTTP status) → `GW_LEGACY_SOAP_FAULT` 502, retryable for `Server` faults, not shown to
 *   clients (fault strings carry backend internals);
 * - a body that is not a SOAP answer → `GW_UPSTREAM_BAD_RESPONSE`; another non-200 → `GW_UPSTREAM_STATUS`.
 */
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const ORDERS_NS = 'urn:legacy:orders';
export const SOAP_ACTION = 'urn:GetOrderStatus';
export const ORDER_SERVICE_PATH = '/soap/OrderService';

/** A legacy error reported inside an HTTP 200 (`Result/Code` ≠ 0), with legacy's own code and message. */
export class LegacyResultError extends GatewayError {
  readonly legacyCode: string;
  readonly legacyMessage: string;
  constructor(code: string, status: number, legacy: { code: string; message: string }, system: string) {
    super(code, status, `${legacy.code} ${legacy.message}`.trim(), {
      target: 'legacy',
      system,
      expose: true,
      retryable: /^E5/.test(legacy.code),
    });
    this.legacyCode = legacy.code;
    this.legacyMessage = legacy.message;
  }
}

/** A real `soap:Fault`. */
export class SoapFaultError extends GatewayError {
  readonly faultCode: string;
  readonly faultString: string;
  constructor(fault: { faultCode: string; faultString: string }, httpStatus: number, system: string) {
    super('GW_LEGACY_SOAP_FAULT', 502, `${fault.faultCode}: ${fault.faultString} (HTTP ${httpStatus})`, {
      target: 'legacy',
      system,
      expose: false,
      retryable: fault.faultCode.endsWith('Server'),
    });
    this.faultCode = fault.faultCode;
    this.faultString = fault.faultString;
  }
}

/** What an order service body says, namespace-resolved. `order` is the `Order` element as the mappers take it. */
export type OrderServiceAnswer =
  | { kind: 'result'; code: string; message: string; order: Record<string, unknown> | undefined }
  | { kind: 'fault'; faultCode: string; faultString: string }
  | { kind: 'invalid'; reason: string };

export interface OrderStatusResult {
  response: LegacyResponse;
  /** The `Order` element (see mappers/order.ts for its shape). */
  order: Record<string, unknown>;
}

export interface OrdersAdapter {
  readonly origin: string;
  /**
   * `GetOrderStatus`. Resolves only for `Code 0` with an Order; every other answer rejects with a GatewayError as
   * described above (transport failures and timeouts as mapped by http.ts).
   */
  getOrderStatus(orderId: string, opts?: CallOptions): Promise<OrderStatusResult>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  // Text is data (a note may start with spaces); whitespace between elements is dropped in resolveElement().
  trimValues: false,
  // Needed for character references (`&#13;`, `&#233;`). The HTML names it also decodes are not XML and never come
  // from legacy. Entities a DOCTYPE declares stay within the parser's default expansion limits.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

type Scope = ReadonlyMap<string, string>;
const KNOWN_NS = new Set([SOAP_ENV_NS, ORDERS_NS, '']);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `p:Name` in `scope` → `Name` (our namespaces, or none) or `{uri}Name` (any other); an unbound prefix stays. */
function resolveName(raw: string, scope: Scope): string {
  const colon = raw.indexOf(':');
  const prefix = colon === -1 ? '' : raw.slice(0, colon);
  const local = raw.slice(colon + 1);
  const ns = scope.get(prefix);
  if (ns === undefined) return colon === -1 ? local : raw;
  return KNOWN_NS.has(ns) ? local : `{${ns}}${local}`;
}

/**
 * An XML name (optionally prefixed). fast-xml-parser's validator lets some malformed markup through (seen: `<! [CDATA[`
 * with a space, which its parser then turns into an element named `!`); such a name must make the answer invalid, or
 * the carried-through tree would render back into XML that nothing can parse.
 */
const XML_NAME =
  /^[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*(?::[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?$/u;

class MalformedName extends Error {}

/** One element's parsed value → [resolved name, value with namespace declarations applied and removed]. */
function resolveElement(rawName: string, v: unknown, outer: Scope): [string, unknown] {
  if (!XML_NAME.test(rawName)) throw new MalformedName(rawName);
  if (!isRecord(v)) return [resolveName(rawName, outer), v];
  let scope = outer;
  for (const [k, x] of Object.entries(v)) {
    if (k === '@_xmlns' || k.startsWith('@_xmlns:')) {
      if (scope === outer) scope = new Map(outer);
      (scope as Map<string, string>).set(k === '@_xmlns' ? '' : k.slice(8), String(x));
    }
  }
  const name = resolveName(rawName, scope);
  const hasChildren = Object.keys(v).some((k) => !k.startsWith('@_') && k !== '#text');
  const out: [string, unknown][] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k === '@_xmlns' || k.startsWith('@_xmlns:')) continue;
    // Attributes by local name (ours are unqualified; `xsi:nil` is carried as `@_nil`).
    if (k.startsWith('@_')) {
      if (!XML_NAME.test(k.slice(2))) throw new MalformedName(k.slice(2));
      out.push([`@_${k.slice(2 + k.slice(2).indexOf(':') + 1)}`, x]);
    } else if (k === '#text') {
      if (!(hasChildren && String(x).trim() === '')) out.push([k, x]);
    } else for (const item of Array.isArray(x) ? x : [x]) out.push(resolveElement(k, item, scope));
  }
  if (out.length === 0) return [name, ''];
  if (out.length === 1 && out[0]?.[0] === '#text') return [name, out[0][1]];
  // Group repeated names (two prefixes may name the same element); Items/Item is always a list.
  // Appending in place: copying the list per element made n repeated elements cost n² (seconds for a 500 KB answer).
  const grouped = new Map<string, unknown[]>();
  for (const [k, x] of out) {
    const list = grouped.get(k);
    if (list === undefined) grouped.set(k, [x]);
    else list.push(x);
  }
  return [
    name,
    Object.fromEntries(
      [...grouped].map(([k, xs]) => [k, xs.length > 1 || (name === 'Items' && k === 'Item') ? xs : xs[0]]),
    ),
  ];
}

/** Bytes → text in the charset the Content-Type names (UTF-8 by default); bad bytes become U+FFFD, never an error. */
export function decodeXmlBody(body: Buffer, contentType: string | string[] | undefined): string {
  const type = Array.isArray(contentType) ? contentType[0] : contentType;
  const charset = /;\s*charset="?([^";\s]+)/i.exec(type ?? '')?.[1] ?? 'utf-8';
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** An order service body → what it says. Pure; never throws. */
export function parseOrderServiceXml(xml: string): OrderServiceAnswer {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { kind: 'invalid', reason: `not XML: ${valid.err.msg} (line ${valid.err.line})` };
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (err) {
    return { kind: 'invalid', reason: `not parsable: ${(err as Error).message}` };
  }
  let root: [string, unknown][];
  try {
    root = isRecord(doc) ? Object.entries(doc).map(([k, v]) => resolveElement(k, v, new Map())) : [];
  } catch (err) {
    if (!(err instanceof MalformedName)) throw err;
    return { kind: 'invalid', reason: `not XML: "${err.message.slice(0, 40)}" is not an XML name` };
  }
  const env = root.length === 1 && root[0]?.[0] === 'Envelope' ? root[0][1] : undefined;
  const body = isRecord(env) ? env.Body : undefined;
  if (!isRecord(body)) return { kind: 'invalid', reason: 'no soap:Envelope/soap:Body' };
  if (isRecord(body.Fault)) {
    const text = (v: unknown) =>
      typeof v === 'string' ? v : isRecord(v) && typeof v['#text'] === 'string' ? v['#text'] : '';
    return { kind: 'fault', faultCode: text(body.Fault.faultcode), faultString: text(body.Fault.faultstring) };
  }
  const answer = body.GetOrderStatusResponse;
  const result = isRecord(answer) ? answer.Result : undefined;
  if (!isRecord(answer) || !isRecord(result) || typeof result.Code !== 'string') {
    return { kind: 'invalid', reason: 'no GetOrderStatusResponse/Result/Code' };
  }
  const message = typeof result.Message === 'string' ? result.Message : '';
  const order = answer.Order;
  if (order !== undefined && !isRecord(order)) return { kind: 'invalid', reason: 'Order is not an element' };
  return { kind: 'result', code: result.Code.trim(), message, order };
}

/** Characters XML 1.0 cannot carry: an id containing one cannot be asked for. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The request envelope. XMLBuilder escapes the id (`<&"'` included); legacy's own prefixes are used. */
export function getOrderStatusEnvelope(orderId: string): string {
  return builder.build({
    'soap:Envelope': {
      '@_xmlns:soap': SOAP_ENV_NS,
      '@_xmlns:ord': ORDERS_NS,
      'soap:Body': { 'ord:GetOrderStatus': { 'ord:OrderId': orderId } },
    },
  });
}

/**
 * Forwarded client headers that are not passed on: ours for this call (content type, SOAPAction, accept), framing and
 * hop-by-hop headers (undici refuses some outright), and accept-encoding, because this adapter reads the body itself.
 */
const OWN_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'soapaction',
  'accept',
  'accept-encoding',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

export function createOrdersAdapter(http: LegacyHttp): OrdersAdapter {
  const system = http.system;
  const bad = (detail: string, cause?: unknown) =>
    Errors.UPSTREAM_BAD_RESPONSE.create({ target: 'legacy', system, detail, cause });
  return {
    origin: http.origin,
    async getOrderStatus(orderId, opts = {}) {
      if (NOT_XML.test(orderId)) {
        throw Errors.BAD_REQUEST.create({
          target: 'legacy',
          system,
          detail: 'order id contains characters XML cannot carry',
        });
      }
      const forwarded = Object.entries(opts.headers ?? {}).filter(([k]) => !OWN_HEADERS.has(k.toLowerCase()));
      const response = await http.call('POST', ORDER_SERVICE_PATH, {
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        headers: {
          ...Object.fromEntries(forwarded),
          'content-type': 'text/xml; charset=utf-8',
          accept: 'text/xml',
          soapaction: `"${SOAP_ACTION}"`,
        },
        body: getOrderStatusEnvelope(orderId),
      });
      const answer = parseOrderServiceXml(decodeXmlBody(response.body, response.headers['content-type']));
      if (answer.kind === 'fault') throw new SoapFaultError(answer, response.status, system);
      if (response.status !== 200) {
        throw Errors.UPSTREAM_STATUS.create({
          target: 'legacy',
          system,
          detail: `${system} answered ${response.status}`,
        });
      }
      if (answer.kind === 'invalid') throw bad(`${system} answered 200 with ${answer.reason}`);
      const legacy = { code: answer.code, message: answer.message };
      if (answer.code === 'E102') throw new LegacyResultError('GW_LEGACY_NOT_FOUND', 404, legacy, system);
      if (answer.code !== '0') throw new LegacyResultError('GW_LEGACY_ERROR_IN_200', 502, legacy, system);
      if (answer.order === undefined) throw bad(`${system} answered Code 0 without an Order`);
      return { response, order: answer.order };
    },
  };
}
