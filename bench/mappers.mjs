#!/usr/bin/env node
// Mapper throughput: legacy payload → contract → legacy wire, per family, in ops/s and bytes allocated per op.
// Run: npm run bench:mappers   (compiled dist/, one process, loopback simulator only for recording inputs)
// Allocation is measured as young-generation heap growth over a window with no GC (large semi-space, gc()
// before each window); a window in which a GC ran is repeated, so the figure is never silently wrong.
import { PerformanceObserver } from 'node:perf_hooks';
import { parseOrderServiceXml } from '../dist/legacy-adapters/orders-soap.js';
import { startSimulator } from '../dist/legacy-adapters/simulator/server.js';
import { messageFromLegacy, messageToLegacy } from '../dist/mappers/conversation.js';
import { customerFromLegacy, customerToLegacy } from '../dist/mappers/customer.js';
import { orderFromLegacy, orderToLegacy } from '../dist/mappers/order.js';
import { ticketFromLegacy, ticketToLegacy } from '../dist/mappers/ticket.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc --max-semi-space-size=256 bench/mappers.mjs (npm run bench:mappers does)');
  process.exit(2);
}
let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

const sim = await startSimulator({ port: 0 });
const get = async (path, init) => (await fetch(`${sim.url}${path}`, init)).text();
const tickets = [];
for (let i = 1; i <= 120; i++) tickets.push(JSON.parse(await get(`/api/v2/tickets/${i}.json`)).ticket);
const customers = [];
for (let i = 10001; i <= 10030; i++) customers.push(JSON.parse(await get(`/crm/customers/${i}`)));
const orders = [];
for (let i = 1001; i <= 1040; i++) {
  if (i === 1013) continue;
  const xml = await get('/soap/OrderService', {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:GetOrderStatus"' },
    body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ord="urn:legacy:orders"><soap:Body><ord:GetOrderStatus><ord:OrderId>A-${i}</ord:OrderId></ord:GetOrderStatus></soap:Body></soap:Envelope>`,
  });
  const answer = parseOrderServiceXml(xml);
  if (answer.kind === 'result' && answer.order) orders.push(answer.order);
}
await fetch(`${sim.url}/api/v2/conversations/bench/messages`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    message: { author: { type: 'user', id: '10001' }, content: { type: 'text', text: 'where is my order?' } },
  }),
});
const messages = JSON.parse(await get('/api/v2/conversations/bench/messages')).messages;
await sim.close();

const families = [
  {
    name: 'ticket (REST)',
    inputs: tickets,
    run: (t) => {
      const m = ticketFromLegacy(t);
      return JSON.stringify(ticketToLegacy(m.value, m.carry));
    },
  },
  {
    name: 'customer (CRM)',
    inputs: customers,
    run: (c) => {
      const m = customerFromLegacy(c, { timeZone: 'UTC' });
      return JSON.stringify(customerToLegacy(m.value, m.carry, { timeZone: 'UTC' }));
    },
  },
  {
    name: 'order (SOAP object)',
    inputs: orders,
    run: (o) => {
      const m = orderFromLegacy(o, { timeZone: 'UTC' });
      return orderToLegacy(m.value, m.carry, { timeZone: 'UTC' });
    },
  },
  {
    name: 'message (bot)',
    inputs: messages,
    run: (x) => {
      const m = messageFromLegacy(x);
      return JSON.stringify(messageToLegacy(m.value, m.carry));
    },
  },
];

const rows = [];
for (const f of families) {
  for (let i = 0; i < 2000; i++) f.run(f.inputs[i % f.inputs.length]); // warm up (JIT)
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (process.hrtime.bigint() - t0 < 1_000_000_000n) {
    for (let i = 0; i < 100; i++) f.run(f.inputs[(n + i) % f.inputs.length]);
    n += 100;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let bytes = Number.NaN;
  for (let attempt = 0; attempt < 5 && Number.isNaN(bytes); attempt++) {
    globalThis.gc();
    // GC entries reach the observer asynchronously: let the forced one arrive before counting.
    await new Promise((r) => setTimeout(r, 50));
    const before = gcs;
    const h0 = process.memoryUsage().heapUsed;
    const ops = 500;
    for (let i = 0; i < ops; i++) f.run(f.inputs[i % f.inputs.length]);
    const h1 = process.memoryUsage().heapUsed;
    await new Promise((r) => setTimeout(r, 50));
    if (gcs === before) bytes = (h1 - h0) / ops;
  }
  rows.push({
    family: f.name,
    'ops/s': Math.round(n / seconds),
    'µs/op': ((seconds / n) * 1e6).toFixed(1),
    'KB allocated/op': Number.isNaN(bytes) ? 'n/a (GC in every window)' : (bytes / 1024).toFixed(1),
  });
}
console.table(rows);
