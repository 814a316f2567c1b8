/**
 * Sanity checks around the measurement, so a fast number can never come from a broken setup: every target answers
 * 2xx with what it should (a ticket, with legacy's URL rewritten to the gateway's own origin by the gateways; a
 * stored message for the conversation targets), the gateway is ready (flags loaded, legacy reached), and afterwards
 * its metrics and access log show the traffic went where it should.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';

export async function preflight(target, url, headers, upstreamOrigin, publicUrl = '') {
  const post = target.method === 'POST';
  const res = await fetch(url, {
    method: target.method ?? 'GET',
    headers: post ? { ...headers, 'content-type': 'application/json' } : headers,
    ...(post ? { body: JSON.stringify(target.body) } : {}),
  });
  const text = await res.text();
  const want = post ? 201 : 200;
  if (res.status !== want) throw new Error(`${target.name}: ${url} answered ${res.status}: ${text.slice(0, 200)}`);
  if (post) {
    const messages = JSON.parse(text)?.messages;
    if (!Array.isArray(messages) || messages.length !== 2) {
      throw new Error(`${target.name}: expected the stored message and a reply, got ${text.slice(0, 200)}`);
    }
    return { status: res.status, bytes: Buffer.byteLength(text), reply: messages[1]?.content?.text ?? null };
  }
  const ticketUrl = JSON.parse(text)?.ticket?.url;
  const gatewayOrigin = publicUrl ? new URL(publicUrl).origin : new URL(url).origin;
  const expected = target.server === 'gateway' ? gatewayOrigin : upstreamOrigin;
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
  return (await gatewayCounters(adminUrl)).gateway_requests_total ?? {};
}

/** Every gateway_*_total counter: { name: { 'label="v",…': value } }. */
export async function gatewayCounters(adminUrl) {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/^(gateway_\w+_total)\{([^}]*)\} (\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/gm)) {
    out[m[1]] ??= {};
    out[m[1]][m[2]] = Number(m[3]);
  }
  for (const m of text.matchAll(/^(gateway_slice_pinned)\{([^}]*)\} (\d+)$/gm)) {
    out[m[1]] ??= {};
    out[m[1]][m[2]] = Number(m[3]);
  }
  return out;
}

/** Sum of a counter's samples whose labels include every `name="value"` of match; by: group by that label. */
export function sumCounter(counters, name, match = {}, by = null) {
  const groups = {};
  let total = 0;
  for (const [labels, v] of Object.entries(counters[name] ?? {})) {
    const l = Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(match).some(([k, want]) => l[k] !== want)) continue;
    total += v;
    if (by) groups[l[by] ?? ''] = (groups[l[by] ?? ''] ?? 0) + v;
  }
  return by ? groups : total;
}

/**
 * What a gateway target's metrics say about its traffic: served by legacy/new, fallbacks by reason, shadow
 * comparisons by result and skips by reason, AI answers by kind, auto-rollbacks and pins. Zeros are left out.
 */
export function trafficSummary(counters) {
  const prune = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v > 0));
  return {
    servedBy: prune(sumCounter(counters, 'gateway_requests_total', {}, 'served_by')),
    outcome: prune(sumCounter(counters, 'gateway_requests_total', {}, 'outcome')),
    fallbacks: prune(sumCounter(counters, 'gateway_fallbacks_total', {}, 'reason')),
    shadowComparisons: prune(sumCounter(counters, 'gateway_shadow_comparisons_total', {}, 'result')),
    shadowSkipped: prune(sumCounter(counters, 'gateway_shadow_skipped_total', {}, 'reason')),
    aiAnswers: prune(sumCounter(counters, 'gateway_ai_answers_total', {}, 'kind')),
    handoffs: sumCounter(counters, 'gateway_handoffs_total'),
    mappingGaps: sumCounter(counters, 'gateway_mapping_gaps_total'),
    autoRollbacks: sumCounter(counters, 'gateway_auto_rollbacks_total'),
    pinned: sumCounter(counters, 'gateway_slice_pinned'),
  };
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
