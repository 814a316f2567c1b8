/**
 * `POST /soap/OrderService` (SOAP 1.1, document/literal, one operation: GetOrderStatus) and `GET ...?wsdl`.
 * Business errors come back inside an HTTP 200 (`E101` missing id, `E102` unknown order, `E500` for order A-1013);
 * broken requests get HTTP 500 with a real soap:Fault. Order `A-1666` makes the service itself fail (soap:Server).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { JSON_BODY_LIMIT } from './body.js';
import { type Ctx, isRecord, sendText } from './http-util.js';
import { BROKEN_ORDER_ID } from './seed-orders.js';
import { type FaultCode, faultResponse, orderStatusResponse, SOAP_ACTION, wsdl, XML_TYPE } from './soap-xml.js';

export const FAULTING_ORDER_ID = 'A-1666';

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

function fault(ctx: Ctx, code: FaultCode, message: string): void {
  sendText(ctx, 500, XML_TYPE, faultResponse(code, message));
}

function soapActionOf(ctx: Ctx): string | null {
  const raw = ctx.req.headers.soapaction;
  if (typeof raw !== 'string') return null;
  const trimmed = raw.trim();
  return trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2 ? trimmed.slice(1, -1) : trimmed;
}

/** Parses the envelope; returns the OrderId text ('' when empty/missing) or a Client fault message. */
function extractOrderId(xml: string): { orderId: string } | { fault: string } {
  // Old SOAP stacks refuse DTDs outright (entity expansion attacks); so do we.
  if (xml.includes('<!DOCTYPE')) return { fault: 'DOCTYPE is not allowed' };
  // XMLValidator is deprecated in favour of a separate package; it still does the job and saves a dependency.
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return { fault: `Malformed XML: ${valid.err.msg} (line ${valid.err.line})` };
  const doc: unknown = parser.parse(xml);
  const env = isRecord(doc) ? doc.Envelope : undefined;
  const body = isRecord(env) ? env.Body : undefined;
  if (!isRecord(body)) return { fault: 'Invalid SOAP envelope: soap:Envelope/soap:Body expected' };
  const op = body.GetOrderStatus;
  if (op === undefined) return { fault: 'Operation in body does not match SOAPAction' };
  if (op === '') return { orderId: '' };
  if (!isRecord(op)) return { fault: 'Invalid GetOrderStatus element' };
  const id = op.OrderId;
  if (id === undefined || id === '') return { orderId: '' };
  if (typeof id !== 'string') return { fault: 'OrderId must occur once and contain text' };
  return { orderId: id };
}

export async function orderService(ctx: Ctx): Promise<void> {
  const raw = await ctx.body.readAll(JSON_BODY_LIMIT);
  if (raw === null) {
    fault(ctx, 'soap:Client', 'Request too large');
    return;
  }
  const action = soapActionOf(ctx);
  if (action !== SOAP_ACTION) {
    fault(ctx, 'soap:Client', `Unknown SOAPAction: ${action ?? '(none)'}`);
    return;
  }
  const parsed = extractOrderId(raw.toString('utf8'));
  if ('fault' in parsed) {
    fault(ctx, 'soap:Client', parsed.fault);
    return;
  }
  const { orderId } = parsed;
  if (orderId === FAULTING_ORDER_ID) {
    fault(ctx, 'soap:Server', 'Internal error: order backend threw java.lang.NullPointerException');
    return;
  }
  let xml: string;
  if (orderId === '') xml = orderStatusResponse('E101', 'ORDER ID REQUIRED', null);
  else if (orderId === BROKEN_ORDER_ID) xml = orderStatusResponse('E500', 'BACKEND TEMPORARILY UNAVAILABLE', null);
  else {
    const order = ctx.state.orders.get(orderId);
    xml =
      order === undefined ? orderStatusResponse('E102', 'ORDER NOT FOUND', null) : orderStatusResponse('0', '', order);
  }
  sendText(ctx, 200, XML_TYPE, xml);
}

/** `GET /soap/OrderService?wsdl` (any case of `wsdl`); a plain GET gets the kind of hint page old stacks show. */
export function orderServiceGet(ctx: Ctx): void {
  if ([...ctx.query.keys()].some((k) => k.toLowerCase() === 'wsdl')) {
    sendText(ctx, 200, XML_TYPE, wsdl(`${ctx.origin}/soap/OrderService`));
    return;
  }
  sendText(ctx, 200, 'text/plain; charset=utf-8', 'OrderService: POST SOAP 1.1 requests here. WSDL: ?wsdl\n');
}
