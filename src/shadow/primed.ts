import type { IncomingHttpHeaders } from 'node:http';
import type { PrimedRead } from '../../legacy-adapters/http.js';
import type { LegacyCapture } from './judge.js';

/**
 * When a shadow candidate may reuse legacy's answer to the client's own request instead of reading legacy again
 * (config `shadow.primedReads`, decision 26). The answer is reused only where an HTTP cache could reuse it for the
 * candidate's request (RFC 9111 §4.1): a GET of the same URL, the same values of every header the answer varies on,
 * and an answer legacy would send the candidate as it is. Adapters ask for no content coding, so an encoded answer
 * is never reused, and an identity-coded one is the same bytes whatever `Accept-Encoding` said: that header is the
 * one `Vary` name not compared. The candidate then reads the same snapshot of legacy that the client got, so a diff
 * says what the new path does with it, not what changed in legacy in between, and shadowing a read costs legacy
 * nothing.
 */

/** Where the primed read points and what the client sent (`response` is the capture itself, sent once). */
export type PrimedKey = Omit<PrimedRead, 'response'>;

export function primedKeyOf(
  method: string,
  legacyUrl: string,
  headers: IncomingHttpHeaders,
  capture: LegacyCapture,
): PrimedKey | null {
  if (method !== 'GET' || !Buffer.isBuffer(capture.body) || capture.status >= 500) return null;
  const encoding = capture.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return null;
  const vary: Record<string, string | null> = {};
  for (const token of (capture.headers.vary ?? '').split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '' || name === 'accept-encoding') continue;
    if (name === '*') return null;
    const v = headers[name];
    vary[name] = v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
  return { url: legacyUrl, vary };
}

/** The primed read of a key and the capture it was made from (`primedKeyOf` checked the body is there). */
export function primedRead(key: PrimedKey, capture: LegacyCapture): PrimedRead {
  const body = Buffer.isBuffer(capture.body) ? capture.body : Buffer.alloc(0);
  return { ...key, response: { status: capture.status, headers: capture.headers, body } };
}
