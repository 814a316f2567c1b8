import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../../legacy-adapters/simulator/server.js';
import { call, obj } from './helpers.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, parseTagValue: false });

const envelope = (orderId: string) =>
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ord="urn:legacy:orders">' +
  `<soap:Body><ord:GetOrderStatus><ord:OrderId>${orderId}</ord:OrderId></ord:GetOrderStatus></soap:Body></soap:Envelope>`;

const soap = (body: string, action = '"urn:GetOrderStatus"') =>
  call(sim.url, '/soap/OrderService', {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: action },
    body,
  });

function responseOf(text: string): Record<string, unknown> {
  return obj(obj(obj(obj(parser.parse(text)).Envelope).Body).GetOrderStatusResponse);
}

function faultOf(text: string): Record<string, unknown> {
  return obj(obj(obj(obj(parser.parse(text)).Envelope).Body).Fault);
}

describe('SOAP OrderService', () => {
  it('returns an order with Code 0, attributes, items and a CDATA note that survives parsing', async () => {
    const res = await soap(envelope('A-1001'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(res.text).toContain('<ord:Message/>');
    expect(res.text).toContain('<ord:Note><![CDATA[Leave at <door> & ring]]></ord:Note>');
    const answer = responseOf(res.text);
    expect(obj(answer.Result).Code).toBe('0');
    const order = obj(answer.Order);
    expect(order).toMatchObject({ OrderId: 'A-1001', CustomerId: '10001', Status: 'SHIPPED' });
    expect(order.Note).toBe('Leave at <door> & ring');
    expect(obj(order.Total)['@_currency']).toBe('EUR');
    expect(obj(order.Total)['#text']).toBe('49.90');
    expect(String(order.PlacedAt)).toMatch(/^\d{8} \d{6}$/);
    expect(obj(order.Items).Item).toEqual({ '#text': 'Hoodie grey, L', '@_sku': 'HOODIE-GRY-L', '@_qty': '1' });
  });

  it('reports business errors inside HTTP 200 without an Order', async () => {
    const missing = responseOf((await soap(envelope('A-9999'))).text);
    expect(missing.Result).toEqual({ Code: 'E102', Message: 'ORDER NOT FOUND' });
    expect(missing.Order).toBeUndefined();
    const broken = await soap(envelope('A-1013'));
    expect(broken.status).toBe(200);
    expect(responseOf(broken.text).Result).toEqual({ Code: 'E500', Message: 'BACKEND TEMPORARILY UNAVAILABLE' });
  });

  it('answers malformed XML, unknown SOAPAction and backend crashes with HTTP 500 soap:Fault', async () => {
    const malformed = await soap('<soap:Envelope><soap:Body><oops></soap:Body>');
    expect(malformed.status).toBe(500);
    expect(faultOf(malformed.text).faultcode).toBe('soap:Client');
    const action = await soap(envelope('A-1001'), '"urn:CancelOrder"');
    expect(action.status).toBe(500);
    expect(faultOf(action.text)).toMatchObject({
      faultcode: 'soap:Client',
      faultstring: 'Unknown SOAPAction: urn:CancelOrder',
    });
    const crash = await soap(envelope('A-1666'));
    expect(crash.status).toBe(500);
    expect(faultOf(crash.text).faultcode).toBe('soap:Server');
  });

  it('serves a WSDL whose address is the public origin', async () => {
    const res = await call(sim.url, '/soap/OrderService?wsdl');
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<soap:address location="${sim.url}/soap/OrderService"/>`);
    expect(res.text).toContain('soapAction="urn:GetOrderStatus"');
  });
});
