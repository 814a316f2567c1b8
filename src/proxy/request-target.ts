import type { IncomingMessage } from 'node:http';
import { Errors, type GatewayError } from '../errors.js';

/**
 * Request checks node's parser leaves to the application, run once per request before routing. Node already refuses
 * Content-Length with Transfer-Encoding, duplicate or listed Content-Length, obfuscated Transfer-Encoding, bad chunk
 * sizes, bare LF/CR and obs-fold (docs/security.md); what remains:
 *
 * - no Host in HTTP/1.1, more than one, or one that is not `host[:port]` (RFC 9112 §3.2: 400). Node keeps the first
 *   Host and drops the rest, while a proxy in front may have used the last; the value also becomes X-Forwarded-Host.
 *   (Node's own missing-Host check is off so that this answer, too, is a problem document.)
 * - a transfer coding other than `chunked`: node removes the chunked framing and nothing else, so legacy would get
 *   still-encoded bytes labelled as plain ones.
 * - absolute-form targets become origin-form, byte for byte (see originFormTarget).
 *
 * Returns the error to answer with, or null (the request may have been rewritten to origin-form).
 */
export function screenRequest(req: IncomingMessage): GatewayError | null {
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      hosts++;
      if (hosts > 1) return Errors.BAD_REQUEST.create({ detail: 'more than one Host header' });
      if (!HOST.test(raw[i + 1] as string)) return Errors.BAD_REQUEST.create({ detail: 'invalid Host header' });
    }
  }
  if (hosts === 0 && req.httpVersionMinor === 1) return Errors.BAD_REQUEST.create({ detail: 'missing Host header' });
  const te = req.headers['transfer-encoding'];
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') {
    return Errors.BAD_REQUEST.create({ detail: `transfer coding "${te.slice(0, 40)}" is not supported: use chunked` });
  }
  const url = req.url ?? '/';
  if (url.charCodeAt(0) !== 47 /* / */) {
    const origin = originFormTarget(url);
    if (origin !== null) req.url = origin;
  }
  return null;
}

/** `host[:port]`: a reg-name or IPv4 address, or an IPv6 literal in brackets; empty is allowed (RFC 9112 §3.2). */
const HOST = /^(?:[A-Za-z0-9._~!$&'()*+,;=-]*|\[[0-9A-Fa-f:.]+\])(?::\d{0,5})?$/;

/**
 * The origin-form of a request target, without normalising it. An absolute-form target (`GET http://host/a/../b`)
 * loses its scheme and authority and keeps its path and query byte for byte: a WHATWG `new URL()` would resolve
 * `..`, `%2e%2e` and backslashes, so an absolute-form request could reach a route that the same path in origin-form
 * never matches (see src/pipeline/router.ts). The authority is never used: the gateway only talks to legacy.
 *
 * Returns the target unchanged when it is already origin-form, and null for any other form (`*`, authority-form,
 * other schemes), which the caller answers itself.
 */
export function originFormTarget(target: string): string | null {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  const m = ABSOLUTE.exec(target);
  if (!m) return null;
  const rest = target.slice(m[0].length);
  if (rest === '') return '/';
  return rest.charCodeAt(0) === 47 ? rest : `/${rest}`;
}

/** `http://` or `https://` and the authority (up to the first `/`, `?` or `#`). */
const ABSOLUTE = /^https?:\/\/[^/?#]*/i;
