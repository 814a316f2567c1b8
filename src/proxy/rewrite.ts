/**
 * Rewrites legacy's absolute origin to the gateway's public origin, so clients that follow `Location`, `Link` or a
 * `next_page` URL in a JSON body stay on the gateway. Matches are bounded: `http://legacy:8090` does not match inside
 * `http://legacy:80901` or `http://legacy:8090.evil`. JSON's escaped form (`http:\/\/legacy`) is handled too.
 */
const EMPTY: Buffer = Buffer.alloc(0);

/** Bytes that may continue an authority: a match followed by one of them is a different origin. */
function continuesAuthority(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x2e || // .
    byte === 0x2d || // -
    byte === 0x3a || // :
    byte === 0x5f || // _
    byte === 0x40 // @
  );
}

interface Pair {
  from: Buffer;
  to: Buffer;
}

export interface OriginRewriter {
  readonly legacyOrigin: string;
  /** Rewrites a header value (Location, Content-Location, Link). Returns the same string when nothing matched. */
  headerValue(value: string, publicOrigin: string): string;
  /** Rewrites a Set-Cookie Domain attribute naming legacy's host. */
  setCookie(value: string, publicOrigin: string): string;
  /** Rewrites a whole body; null when nothing matched (send the original bytes). */
  body(buf: Buffer, publicOrigin: string): Buffer | null;
  /** A streaming rewriter for bodies too large to buffer. */
  stream(publicOrigin: string): StreamRewriter;
}

export interface StreamRewriter {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

export function createOriginRewriter(legacyOrigin: string): OriginRewriter {
  const origin = new URL(legacyOrigin).origin;
  const legacyHostname = new URL(legacyOrigin).hostname.toLowerCase();
  const pairsCache = new Map<string, Pair[]>();
  const escapedFrom = origin.replaceAll('/', '\\/');

  function pairs(publicOrigin: string): Pair[] {
    let p = pairsCache.get(publicOrigin);
    if (!p) {
      p = [
        { from: Buffer.from(origin), to: Buffer.from(publicOrigin) },
        { from: Buffer.from(escapedFrom), to: Buffer.from(publicOrigin.replaceAll('/', '\\/')) },
      ];
      if (pairsCache.size > 64) pairsCache.clear();
      pairsCache.set(publicOrigin, p);
    }
    return p;
  }
  const maxFrom = Math.max(origin.length, escapedFrom.length);

  return {
    legacyOrigin: origin,
    headerValue(value, publicOrigin) {
      if (!value.includes(origin)) return value;
      const out = replaceBuffer(Buffer.from(value, 'latin1'), pairs(publicOrigin), true);
      return out ? out.data.toString('latin1') : value;
    },
    setCookie(value, publicOrigin) {
      const m = /;\s*domain=\.?([^;]+)/i.exec(value);
      if (!m || (m[1] as string).trim().toLowerCase() !== legacyHostname) return value;
      const publicHost = new URL(publicOrigin).hostname;
      return value.slice(0, m.index) + value.slice(m.index).replace(/(;\s*domain=\.?)[^;]+/i, `$1${publicHost}`);
    },
    body(buf, publicOrigin) {
      if (buf.indexOf(origin.slice(0, 8)) === -1 && buf.indexOf(escapedFrom.slice(0, 9)) === -1) return null;
      const out = replaceBuffer(buf, pairs(publicOrigin), true);
      return out && out.replaced > 0 ? out.data : null;
    },
    stream(publicOrigin) {
      const p = pairs(publicOrigin);
      let carry: Buffer = EMPTY;
      return {
        push(chunk) {
          const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
          // Keep the last maxFrom bytes back: a match (plus its boundary byte) may straddle the next chunk.
          const limit = data.length - maxFrom;
          if (limit <= 0) {
            carry = data;
            return EMPTY;
          }
          const res = replaceRange(data, p, limit);
          carry = data.subarray(res.consumed);
          return res.data;
        },
        end() {
          const rest = carry;
          carry = EMPTY;
          if (!rest.length) return EMPTY;
          return replaceBuffer(rest, p, true)?.data ?? rest;
        },
      };
    },
  };
}

/** Replaces every bounded match in `buf`. Returns null when there was none. */
function replaceBuffer(buf: Buffer, p: Pair[], final: boolean): { data: Buffer; replaced: number } | null {
  const res = replaceRange(buf, p, buf.length, final);
  if (res.replaced === 0) return null;
  return res;
}

/**
 * Scans matches that start before `limit`; returns the output and how many input bytes it consumed (a match that
 * starts before `limit` is consumed whole). With `final`, a match ending at the end of input counts as bounded.
 */
function replaceRange(
  buf: Buffer,
  p: Pair[],
  limit: number,
  final = false,
): { data: Buffer; consumed: number; replaced: number } {
  const parts: Buffer[] = [];
  let pos = 0;
  let replaced = 0;
  for (;;) {
    let best = -1;
    let bestPair: Pair | undefined;
    for (const pair of p) {
      let from = pos;
      for (;;) {
        const i = buf.indexOf(pair.from, from);
        if (i === -1 || i >= limit) break;
        const after = i + pair.from.length;
        const bounded = after < buf.length ? !continuesAuthority(buf[after] as number) : final;
        if (bounded) {
          if (best === -1 || i < best) {
            best = i;
            bestPair = pair;
          }
          break;
        }
        from = i + 1;
      }
    }
    if (best === -1 || !bestPair) break;
    parts.push(buf.subarray(pos, best), bestPair.to);
    pos = best + bestPair.from.length;
    replaced++;
  }
  const consumed = Math.max(pos, Math.min(limit, buf.length));
  if (replaced === 0) return { data: buf.subarray(0, consumed), consumed, replaced };
  parts.push(buf.subarray(pos, consumed));
  return { data: Buffer.concat(parts), consumed, replaced };
}
