/**
 * XML text of the SOAP order service: response envelopes, faults and the WSDL. Built as strings with explicit
 * escaping so the bytes are exactly what an old SOAP stack sends (compact, `ord:` prefix, CDATA notes).
 */
import type { OrderRecord } from './seed-orders.js';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const ORDERS_NS = 'urn:legacy:orders';
export const SOAP_ACTION = 'urn:GetOrderStatus';
export const XML_TYPE = 'text/xml; charset=utf-8';

const XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>';

export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function el(name: string, text: string): string {
  return text === '' ? `<ord:${name}/>` : `<ord:${name}>${escapeXml(text)}</ord:${name}>`;
}

function envelope(body: string, withOrdersNs = true): string {
  const ns = withOrdersNs ? ` xmlns:ord="${ORDERS_NS}"` : '';
  return `${XML_DECL}<soap:Envelope xmlns:soap="${SOAP_ENV_NS}"${ns}><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

function orderXml(o: OrderRecord): string {
  const items = o.items
    .map((i) => `<ord:Item sku="${escapeXml(i.sku)}" qty="${i.qty}">${escapeXml(i.name)}</ord:Item>`)
    .join('');
  return (
    '<ord:Order>' +
    el('OrderId', o.orderId) +
    el('CustomerId', o.customerId) +
    el('Status', o.status) +
    el('Carrier', o.carrier) +
    el('TrackingNo', o.trackingNo) +
    `<ord:Total currency="${o.currency}">${(o.totalCents / 100).toFixed(2)}</ord:Total>` +
    el('PlacedAt', o.placedAt) +
    el('EstimatedDelivery', o.estimatedDelivery) +
    (o.note === '' ? '<ord:Note/>' : `<ord:Note>${cdata(o.note)}</ord:Note>`) +
    `<ord:Items>${items}</ord:Items>` +
    '</ord:Order>'
  );
}

/** A GetOrderStatus answer: code `0` with the order, or an error code inside a 200 (then without Order). */
export function orderStatusResponse(code: string, message: string, order: OrderRecord | null): string {
  const result = `<ord:Result>${el('Code', code)}${el('Message', message)}</ord:Result>`;
  const body = `<ord:GetOrderStatusResponse>${result}${order === null ? '' : orderXml(order)}</ord:GetOrderStatusResponse>`;
  return envelope(body);
}

export type FaultCode = 'soap:Client' | 'soap:Server';

export function faultResponse(code: FaultCode, message: string): string {
  const fault =
    `<soap:Fault><faultcode>${code}</faultcode><faultstring>${escapeXml(message)}</faultstring>` +
    '<detail/></soap:Fault>';
  return envelope(fault, false);
}

export function wsdl(location: string): string {
  const t = 'xmlns:xsd="http://www.w3.org/2001/XMLSchema"';
  return `${XML_DECL}
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" ${t} xmlns:ord="${ORDERS_NS}" targetNamespace="${ORDERS_NS}" name="OrderService">
  <wsdl:types>
    <xsd:schema targetNamespace="${ORDERS_NS}" elementFormDefault="qualified">
      <xsd:element name="GetOrderStatus"><xsd:complexType><xsd:sequence>
        <xsd:element name="OrderId" type="xsd:string"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="GetOrderStatusResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="Result"><xsd:complexType><xsd:sequence>
          <xsd:element name="Code" type="xsd:string"/>
          <xsd:element name="Message" type="xsd:string"/>
        </xsd:sequence></xsd:complexType></xsd:element>
        <xsd:element name="Order" minOccurs="0" type="xsd:anyType"/>
      </xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="GetOrderStatusRequest"><wsdl:part name="parameters" element="ord:GetOrderStatus"/></wsdl:message>
  <wsdl:message name="GetOrderStatusResponse"><wsdl:part name="parameters" element="ord:GetOrderStatusResponse"/></wsdl:message>
  <wsdl:portType name="OrderServicePortType">
    <wsdl:operation name="GetOrderStatus">
      <wsdl:input message="ord:GetOrderStatusRequest"/>
      <wsdl:output message="ord:GetOrderStatusResponse"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="OrderServiceBinding" type="ord:OrderServicePortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetOrderStatus">
      <soap:operation soapAction="${SOAP_ACTION}"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="OrderService">
    <wsdl:port name="OrderServicePort" binding="ord:OrderServiceBinding">
      <soap:address location="${escapeXml(location)}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
}
