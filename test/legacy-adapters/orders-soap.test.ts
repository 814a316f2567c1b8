import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { MockAgent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLegacyHttp, type LegacyHttp } from '../../legacy-adapters/http.js';
import {
  createOrdersAdapter,
  getOrderStatusEnvelope,
  LegacyResultError,
  type OrdersAdapter,
  parseOrderServiceXml,
  SoapFaultError,
} from '../../legacy-adapters/orders-soap.js';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { Errors, GatewayError } from '../../src/errors.js';
import { rejectionOf } from '../helpers/rejection.js';

const DIR = new URL('../fixtures/legacy/orders/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, DIR));
const XML = 'text/xml; charset=utf-8';

/** The recorded fixtures: file, order id asked for, SOAPAction sent, HTTP status answered. */
const RECORDED: readonly (readonly [string, string, string, number])[] = [
  ['A-1001.xml', 'A-1001', 'urn:GetOrderStatus', 200],
  ['A-1002.xml', 'A-1002', 'urn:GetOrderStatus', 200],
  ['A-1003.xml', 'A-1003', 'urn:GetOrderStatus', 200],
  ['A-1004.xml', 'A-1004', 'urn:GetOrderStatus', 200],
  ['A-1005.xml', 'A-1005', 'urn:GetOrderStatus', 200],
  ['A-1016.xml', 'A-1016', 'urn:GetOrderStatus', 200],
  ['A-1020.xml', 'A-1020', 'urn:GetOrderStatus', 200],
  ['E102-A-9999.xml', 'A-9999', 'urn:GetOrderStatus', 200],
  ['E500-A-1013.xml', 'A-1013', 'urn:GetOrderStatus', 200],
  ['E101-empty-id.xml', '', 'urn:GetOrderStatus', 200],
  ['fault-server-A-1666.xml', 'A-1666', 'urn:GetOrderStatus', 500],
  ['fault-client-unknown-action.xml', 'A-1001', 'urn:CancelOrder', 500],
];

const rejection = (p: Promise<unknown>) => rejectionOf(p, GatewayError);

describe('orders SOAP adapter against the simulator', () => {
  let sim: Simulator;
  let http: LegacyHttp;
  let orders: OrdersAdapter;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    http = createLegacyHttp({ url: sim.url, system: 'orders' });
    orders = createOrdersAdapter(http);
  });
  afterAll(async () => {
    await http.close();
    await sim.close();
  });
  afterEach(() => sim.reset());

  it('the simulator still answers exactly the committed fixtures (drift check)', async () => {
    for (const [file, id, action, status] of RECORDED) {
      const res = await fetch(`${sim.url}/soap/OrderService`, {
        method: 'POST',
        headers: { 'content-type': XML, soapaction: `"${action}"` },
        body: getOrderStatusEnvelope(id),
      });
      expect([file, res.status, res.headers.get('content-type')]).toEqual([file, status, XML]);
      expect(Buffer.from(await res.arrayBuffer()).equals(fixture(file)), file).toBe(true);
    }
  });

  it('returns the parsed Order of a Code 0 answer, the same tree the fixture parses to', async () => {
    const { response, order } = await orders.getOrderStatus('A-1001');
    expect(response.status).toBe(200);
    const expected = parseOrderServiceXml(fixture('A-1001.xml').toString('utf8'));
    expect(expected.kind === 'result' && expected.order).toEqual(order);
    expect(order.Note).toBe('Leave at <door> & ring');
  });

  it('sends SOAPAction and content type itself and forwards the client headers that matter', async () => {
    await orders.getOrderStatus('A-1002', {
      headers: {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        authorization: 'Bearer agent-token',
        'Content-Type': 'application/json',
        SOAPAction: 'x',
        'Accept-Encoding': 'gzip',
        Connection: 'upgrade',
      },
    });
    const [req] = sim.requests();
    expect(req?.headers).toMatchObject({
      'content-type': XML,
      soapaction: '"urn:GetOrderStatus"',
      accept: 'text/xml',
      authorization: 'Bearer agent-token',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(req?.headers['accept-encoding']).toBeUndefined();
  });

  it('turns E102 inside a 200 into GW_LEGACY_NOT_FOUND (404, shown to clients) keeping legacy code and message', async () => {
    const err = await rejection(orders.getOrderStatus('A-9999'));
    expect(err).toBeInstanceOf(LegacyResultError);
    expect(err).toMatchObject({ code: 'GW_LEGACY_NOT_FOUND', statusCode: 404, expose: true, retryable: false });
    expect(err.message).toBe('E102 ORDER NOT FOUND');
    expect(err).toMatchObject({
      legacyCode: 'E102',
      legacyMessage: 'ORDER NOT FOUND',
      target: 'legacy',
      system: 'orders',
    });
  });

  it('turns E500 inside a 200 into a retryable GW_LEGACY_ERROR_IN_200, other codes into a final one', async () => {
    const e500 = await rejection(orders.getOrderStatus('A-1013'));
    expect(e500).toMatchObject({ code: 'GW_LEGACY_ERROR_IN_200', statusCode: 502, retryable: true });
    expect(e500.message).toBe('E500 BACKEND TEMPORARILY UNAVAILABLE');
    const e101 = await rejection(orders.getOrderStatus(''));
    expect(e101).toMatchObject({
      code: 'GW_LEGACY_ERROR_IN_200',
      statusCode: 502,
      retryable: false,
      legacyCode: 'E101',
    });
  });

  it('turns a soap:Fault into GW_LEGACY_SOAP_FAULT carrying faultcode and faultstring, hidden from clients', async () => {
    const err = await rejection(orders.getOrderStatus('A-1666'));
    expect(err).toBeInstanceOf(SoapFaultError);
    expect(err).toMatchObject({
      code: 'GW_LEGACY_SOAP_FAULT',
      statusCode: 502,
      expose: false,
      retryable: true,
      faultCode: 'soap:Server',
      faultString: 'Internal error: order backend threw java.lang.NullPointerException',
    });
  });

  it('escapes an order id with markup characters: legacy parses the envelope and looks the literal id up', async () => {
    const err = await rejection(orders.getOrderStatus(`A-1001<&"'>]]>`));
    expect(err.code).toBe('GW_LEGACY_NOT_FOUND'); // not a soap:Client fault for malformed XML
  });

  it('refuses an id XML cannot carry without calling legacy', async () => {
    const err = await rejection(orders.getOrderStatus('A-1001\u0000'));
    expect(err).toMatchObject({ code: 'GW_BAD_REQUEST', statusCode: 400 });
    expect(sim.requests()).toHaveLength(0);
  });

  it('maps legacy outages onto the taxonomy: HTTP 500 without a fault, an aborted call, refused connections', async () => {
    sim.setFaults({ mode: 'error500' });
    expect(await rejection(orders.getOrderStatus('A-1001'))).toMatchObject({
      code: 'GW_UPSTREAM_STATUS',
      statusCode: 502,
    });
    sim.setFaults({ mode: 'slow', delayMs: 2_000 });
    // The pipeline aborts with its own error as the reason; the call rejects with exactly that, promptly.
    const ac = new AbortController();
    const reason = Errors.DEADLINE_EXCEEDED.create({ detail: 'route deadline' });
    setTimeout(() => ac.abort(reason), 50);
    expect(await rejection(orders.getOrderStatus('A-1001', { signal: ac.signal }))).toBe(reason);
    sim.setFaults({ mode: 'down' });
    expect(await rejection(orders.getOrderStatus('A-1001'))).toMatchObject({ code: 'GW_UPSTREAM_UNAVAILABLE' });
  });

  // Known bug outside this slice: src/errors.ts fromUndiciError calls code.startsWith on a DOMException's numeric
  // `code` (AbortSignal.timeout() → TimeoutError, code 23) and throws a TypeError. Turn into it() once fixed.
  it('maps an AbortSignal.timeout() abort to GW_DEADLINE_EXCEEDED', async () => {
    sim.setFaults({ mode: 'slow', delayMs: 2_000 });
    const err = await rejection(orders.getOrderStatus('A-1001', { signal: AbortSignal.timeout(50) }));
    expect(err.code).toBe('GW_DEADLINE_EXCEEDED');
  });
});

describe('orders SOAP adapter with answers the simulator cannot give (MockAgent)', () => {
  const ORIGIN = 'http://orders.legacy.test';
  let agent: MockAgent;
  let orders: OrdersAdapter;
  beforeAll(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    orders = createOrdersAdapter(createLegacyHttp({ url: ORIGIN, system: 'orders', dispatcher: agent }));
  });
  afterAll(() => agent.close());

  const answer = (status: number, body: string | Buffer, contentType = XML) =>
    agent
      .get(ORIGIN)
      .intercept({ path: '/soap/OrderService', method: 'POST' })
      .reply(status, body, { headers: { 'content-type': contentType } });

  it('builds the envelope with XMLBuilder: any id arrives verbatim at an independent parser', async () => {
    const id = `A-1<&"'>]]>&amp; ü`;
    let sent = '';
    agent
      .get(ORIGIN)
      .intercept({ path: '/soap/OrderService', method: 'POST' })
      .reply(200, (opts) => {
        sent = String(opts.body);
        return fixture('A-1001.xml');
      });
    await orders.getOrderStatus(id);
    const doc = new XMLParser({ removeNSPrefix: true, parseTagValue: false, trimValues: false }).parse(sent) as {
      Envelope: { Body: { GetOrderStatus: { OrderId: string } } };
    };
    expect(doc.Envelope.Body.GetOrderStatus.OrderId).toBe(id);
  });

  it('parses answers with other prefixes and a default namespace exactly like legacy’s own', async () => {
    answer(200, fixture('prefix-o.xml'));
    const viaO = await orders.getOrderStatus('A-1001');
    answer(200, fixture('A-1001.xml'));
    expect(viaO.order).toEqual((await orders.getOrderStatus('A-1001')).order);
    answer(200, fixture('default-ns.xml'));
    const viaDefault = await orders.getOrderStatus('A-1003');
    answer(200, fixture('A-1003.xml'));
    expect(viaDefault.order).toEqual((await orders.getOrderStatus('A-1003')).order);
  });

  it('decodes the body in the charset the Content-Type names; invalid UTF-8 becomes U+FFFD, not an error', async () => {
    answer(200, fixture('latin1.xml'), 'text/xml; charset=ISO-8859-1');
    expect((await orders.getOrderStatus('A-2007')).order.Note).toBe('Kunde wünscht Lieferung nach 18 Uhr ÿ');
    answer(200, fixture('latin1.xml'));
    expect((await orders.getOrderStatus('A-2007')).order.Note).toBe('Kunde w\uFFFDnscht Lieferung nach 18 Uhr \uFFFD');
  });

  it('treats a soap:Fault sent with HTTP 200 as a fault', async () => {
    answer(200, fixture('fault-in-200.xml'));
    expect(await rejection(orders.getOrderStatus('A-1001'))).toMatchObject({
      code: 'GW_LEGACY_SOAP_FAULT',
      faultCode: 'S:Server',
      faultString: 'Database connection pool exhausted',
    });
  });

  it('answers a 200 that is not a SOAP answer with GW_UPSTREAM_BAD_RESPONSE', async () => {
    for (const [body, type] of [
      [fixture('not-xml.html'), 'text/html'],
      ['{"order":"A-1001"}', 'application/json'],
      ['<html><body>maintenance</body></html>', 'text/html'],
      [fixture('code0-without-order.xml'), XML],
      ['', XML],
    ] as const) {
      answer(200, body, type);
      expect(await rejection(orders.getOrderStatus('A-1001'))).toMatchObject({
        code: 'GW_UPSTREAM_BAD_RESPONSE',
        statusCode: 502,
      });
    }
  });

  it('answers a non-200 without a fault with GW_UPSTREAM_STATUS', async () => {
    answer(503, '<html><body>Service Unavailable</body></html>', 'text/html');
    expect(await rejection(orders.getOrderStatus('A-1001'))).toMatchObject({
      code: 'GW_UPSTREAM_STATUS',
      statusCode: 502,
    });
  });

  it('does not expand DOCTYPE entity bombs', () => {
    const parsed = parseOrderServiceXml(fixture('entity-bomb.xml').toString('utf8'));
    expect(JSON.stringify(parsed).length).toBeLessThan(2_000);
  });

  it('treats markup its validator lets through but that is not XML (`<! [CDATA[`) as invalid, not as an element', () => {
    // Found by the orders fuzz test (seed 102638337): the parser made an element named `!` of it, which the order
    // round trip then rendered as `<ord:!/>`.
    const base = fixture('A-1001.xml').toString('utf8');
    expect(parseOrderServiceXml(base).kind).toBe('result');
    const broken = base.replace(
      /<ord:Note>.*?<\/ord:Note>/s,
      '<ord:Note><! [CDATA[Payment verification pending]]></ord:Note>',
    );
    expect(broken).not.toBe(base);
    expect(parseOrderServiceXml(broken)).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('not an XML name'),
    });
  });

  it('parseOrderServiceXml never throws, whatever the body', () => {
    const base = fixture('A-1001.xml').toString('utf8');
    const spliced = fc
      .tuple(
        fc.nat(base.length),
        fc.nat(40),
        fc.oneof(fc.string(), fc.constantFrom('<', '>', '&', ']]>', '<!DOCTYPE a>', 'xmlns:ord="x"')),
      )
      .map(([at, cut, junk]) => base.slice(0, at) + junk + base.slice(at + cut));
    fc.assert(
      fc.property(fc.oneof(fc.string(), spliced), (xml) => {
        expect(['result', 'fault', 'invalid']).toContain(parseOrderServiceXml(xml).kind);
      }),
      { numRuns: 500 },
    );
  });
});
