import type { IncomingMessage } from 'node:http';

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the de-facto ones proxies drop. Lower-case. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Client-supplied forwarding headers replaced by the gateway unless the peer is a trusted proxy. */
const FORWARDING = new Set([
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
  'x-real-ip',
]);

/** Names listed in a Connection header value (they are hop-by-hop too). */
export function connectionTokens(value: string | undefined): Set<string> | null {
  // Fast path: nearly every message says just keep-alive or close (splitting it was ~1 % of the passthrough's CPU).
  if (!value || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') return null;
  const out = new Set<string>();
  for (const part of value.split(',')) {
    const t = part.trim().toLowerCase();
    if (t && t !== 'close' && t !== 'keep-alive') out.add(t);
  }
  return out.size ? out : null;
}

export interface ForwardOptions {
  /** Host header value to send upstream (the upstream's own authority). */
  upstreamHost: string;
  trusted: (peer: string | undefined) => boolean;
  /** Send `Connection: Upgrade` and `Upgrade: websocket` (websocket tunnels; the client's values are not copied). */
  keepUpgrade?: boolean;
}

/**
 * Builds the flat header list sent to legacy from the client's raw headers: original case and order kept,
 * hop-by-hop headers (and those named in Connection), Expect and Proxy dropped, Host set to legacy's authority, and
 * X-Forwarded-For/Proto/Host set by the gateway (a client's own values are replaced unless its peer is trusted).
 */
export function upstreamRequestHeaders(req: IncomingMessage, opts: ForwardOptions): string[] {
  const raw = req.rawHeaders;
  const connTokens = connectionTokens(req.headers.connection);
  const peer = req.socket.remoteAddress;
  const trusted = opts.trusted(peer);
  const out: string[] = [];
  let xff: string | undefined;
  let xfproto: string | undefined;
  let xfhost: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    // `Proxy` is no standard request header: CGI-style legacy code reads it as HTTP_PROXY (httpoxy, CVE-2016-5385).
    if (lower === 'host' || lower === 'expect' || lower === 'proxy') continue;
    if (HOP_BY_HOP.has(lower)) continue;
    if (connTokens?.has(lower)) continue;
    if (FORWARDING.has(lower)) {
      if (!trusted) continue;
      if (lower === 'x-forwarded-for') xff = xff === undefined ? value : `${xff}, ${value}`;
      else if (lower === 'x-forwarded-proto') xfproto ??= value;
      else if (lower === 'x-forwarded-host') xfhost ??= value;
      else out.push(name, value);
      continue;
    }
    out.push(name, value);
  }
  // A tunnel asks legacy for exactly one protocol. The client's own Connection value is not repeated: names it lists
  // (`Connection: Upgrade, X-Forwarded-For`) would make the next hop drop the forwarding headers set below.
  if (opts.keepUpgrade) out.push('connection', 'Upgrade', 'upgrade', 'websocket');
  out.push('host', opts.upstreamHost);
  const peerAddr = peer ?? 'unknown';
  out.push('x-forwarded-for', xff === undefined ? peerAddr : `${xff}, ${peerAddr}`);
  out.push('x-forwarded-proto', xfproto ?? ((req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'));
  const host = xfhost ?? req.headers.host;
  if (host !== undefined) out.push('x-forwarded-host', host);
  return out;
}

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/** Exact-address match against the configured trusted proxies (IPv4-mapped IPv6 normalised). */
export function trustChecker(trustedProxies: readonly string[]): (peer: string | undefined) => boolean {
  if (trustedProxies.length === 0) return () => false;
  const set = new Set(trustedProxies.map(normaliseAddress));
  return (peer) => peer !== undefined && set.has(normaliseAddress(peer));
}

function normaliseAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
