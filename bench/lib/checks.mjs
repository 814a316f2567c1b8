/**
 * Sanity checks around the measurement, so a fast number can never come from a broken setup: every target answers
 * 200 with the ticket (the gateways with legacy's URL rewritten to their own origin), the gateway is ready (flags
 * loaded, legacy reached), and afterwards its metrics and access log show the traffic went where it should.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';

export async function preflight(target, url, headers, upstreamOrigin, publicUrl = '') {
  const res = await fetch(url, { headers });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${target.name}: GET ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  const ticketUrl = JSON.parse(text)?.ticket?.url;
  const gatewayOrigin = publicUrl ? new URL(publicUrl).origin : new URL(url).origin;
  const expected = target.name.startsWith('gateway') ? gatewayOrigin : upstreamOrigin;
  if (typeof ticketUrl !== 'string' || !ticketUrl.startsWith(`${expected}/`)) {
    throw new Error(`${target.name}: ticket.url is ${ticketUrl}, expected it on ${expected}`);
  }
  return { status: res.status, bytes: Buffer.byteLength(text), ticketUrl };
}

export async function waitReady(adminUrl, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(`${adminUrl}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.ok) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gateway not ready at ${adminUrl}/readyz: ${last}`);
}

/** gateway_requests_total samples, e.g. { 'route="passthrough",slice="passthrough",…': 123456 }. */
export async function requestCounters(adminUrl) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/^gateway_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** Size and line count of an access log (one line per request). */
export async function logStats(file) {
  if (!existsSync(file)) return null;
  let lines = 0;
  for await (const chunk of createReadStream(file)) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { file, bytes: statSync(file).size, lines };
}
