import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../routes/table.js';
import { canonicalPath, createRouter } from '../../src/pipeline/router.js';
import { connectionTokens, isHopByHop, trustChecker, upstreamRequestHeaders } from '../../src/proxy/headers.js';
import { FUZZ_TEST_TIMEOUT, fuzz } from './support/budget.js';
import { hostileString } from './support/hostile.js';

/**
 * The pure parts of the public request path: which request targets count as canonical (only those can reach a new
 * handler), and the header list sent to legacy. Request targets are built from the pieces path tricks are made of.
 */

const PIECES = [
  ...['/', '/', '/', '.', '..', '...', '%2e', '%2E%2e', '%2f', '%5C', '%00', '%', '%%', '\\', '#', '?', ';', ';a=b'],
  ...['a', '1', '12', 'api', 'v2', 'tickets', '1.json', '.json', 'crm', 'customers', 'address', '~', ':', '@', '!'],
  ...['$', '&', "'", '(', ')', '*', '+', ',', '=', '"', '<', '>', '`', '{', '}', '|', '^', '[', ']', '-', '_'],
];
const target = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 14 }).map((p) => p.join('')) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('/api/v2/tickets/', '/crm/customers/')
      .chain((p) => fc.array(fc.constantFrom(...PIECES), { maxLength: 6 }).map((x) => p + x.join(''))),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: hostileString },
);
/** What Node's HTTP parser lets through as a request target (it answers 400 for controls, spaces and non-ASCII). */
const wireTarget = fc
  .oneof(target, fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }))
  .filter((t) => /^[\x21-\x7e]+$/.test(t));

const router = createRouter(ROUTE_TABLE.map((spec) => ({ spec })));
const METHODS = [...new Set(ROUTE_TABLE.map((s) => s.method)), 'GET', 'DELETE', 'OPTIONS'];

describe('request targets', () => {
  it(
    'canonicalPath: any string gives null or the path before the query, which is canonical itself',
    () => {
      fuzz(
        target,
        (url) => {
          const path = canonicalPath(url);
          if (path === null) return;
          expect(path).toBe(url.split('?')[0]);
          expect(canonicalPath(path)).toBe(path);
          expect(path.startsWith('/')).toBe(true);
          expect(path).not.toMatch(/%|\/\/|\\|#/);
          expect(path.split('/').slice(1)).not.toContain('.');
          expect(path.split('/').slice(1)).not.toContain('..');
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'a canonical path reads the same to a WHATWG URL parser, and only canonical paths match a route',
    () => {
      fuzz(
        fc.tuple(wireTarget, fc.constantFrom(...METHODS)),
        ([url, method]) => {
          const path = canonicalPath(url);
          const match = router.match(method, url);
          if (match !== null) {
            expect(path).not.toBeNull();
            for (const v of Object.values(match.params)) expect(v).toMatch(/^\d{1,18}$/);
          }
          if (path === null) return;
          // No dot segment, backslash or percent-escape for URL semantics to resolve: the path only gets escaped.
          expect(decodeURI(new URL(path, 'http://legacy.invalid').pathname)).toBe(path);
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );
});

const NAMES = [
  'Host',
  'Connection',
  'connection',
  'Keep-Alive',
  'Proxy-Connection',
  'TE',
  'Trailer',
  'Transfer-Encoding',
  'Upgrade',
  'Proxy-Authorization',
  'HTTP2-Settings',
  'Expect',
  'X-Forwarded-For',
  'x-forwarded-for',
  'X-Forwarded-Proto',
  'X-Forwarded-Host',
  'X-Forwarded-Port',
  'Forwarded',
  'X-Real-IP',
  'Accept',
  'Authorization',
  'Cookie',
  'X-Custom',
  'x-custom',
  '__proto__',
  'constructor',
];
const headerValue = fc.oneof(
  fc.constantFrom('close', 'keep-alive', 'Upgrade', 'x-custom, Keep-Alive', ' X-Forwarded-For ,,', 'te,trailer', ''),
  fc.string({ maxLength: 20 }),
);
const rawHeaders = fc.array(fc.tuple(fc.constantFrom(...NAMES), headerValue), { maxLength: 12 });
const peer = fc.constantFrom(undefined, '127.0.0.1', '::ffff:10.0.0.1', '10.0.0.1', '::1', '2001:db8::1');

function fakeRequest(raw: readonly [string, string][], remoteAddress: string | undefined, encrypted: boolean) {
  const headers: Record<string, string> = {};
  for (const [k, v] of raw) {
    const lower = k.toLowerCase();
    // Node joins most duplicates with ", " and keeps the first Host.
    if (lower === 'host') headers.host ??= v;
    else
      Object.defineProperty(headers, lower, {
        value: headers[lower] === undefined ? v : `${headers[lower]}, ${v}`,
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return { rawHeaders: raw.flat(), headers, socket: { remoteAddress, encrypted } } as unknown as IncomingMessage;
}

describe('headers sent to legacy', () => {
  it(
    'connectionTokens: lower-case, trimmed, non-empty names other than close and keep-alive, or null',
    () => {
      fuzz(
        fc.option(fc.oneof(headerValue, hostileString), { nil: undefined }),
        (value) => {
          const tokens = connectionTokens(value);
          if (tokens === null) return;
          expect(tokens.size).toBeGreaterThan(0);
          for (const t of tokens) {
            expect(t).toBe(t.trim().toLowerCase());
            expect(t).not.toBe('');
            expect(['close', 'keep-alive']).not.toContain(t);
            expect(value?.toLowerCase()).toContain(t);
          }
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    "upstreamRequestHeaders: client headers in order minus hop-by-hop ones, one Host, the gateway's forwarding headers",
    () => {
      const inputs = fc.record({ raw: rawHeaders, peer, trustedPeer: fc.boolean(), encrypted: fc.boolean() });
      fuzz(
        inputs,
        ({ raw, peer, trustedPeer, encrypted }) => {
          const req = fakeRequest(raw, peer, encrypted);
          const trusted = trustChecker(trustedPeer && peer !== undefined ? [peer] : []);
          const out = upstreamRequestHeaders(req, { upstreamHost: 'legacy.internal:8080', trusted });
          expect(out.length % 2).toBe(0);
          const pairs = out.flatMap((x, i) => (i % 2 === 0 ? [[x, out[i + 1] as string] as const] : []));
          const named = (n: string) => pairs.filter(([k]) => k.toLowerCase() === n);
          const listed = connectionTokens(req.headers.connection) ?? new Set<string>();
          for (const [k] of pairs) {
            expect(isHopByHop(k.toLowerCase()), `${k} is hop-by-hop`).toBe(false);
            expect(k.toLowerCase()).not.toBe('expect');
            if (!k.toLowerCase().startsWith('x-forwarded-')) expect(listed.has(k.toLowerCase())).toBe(false);
          }
          expect(named('host')).toEqual([['host', 'legacy.internal:8080']]);
          expect(named('x-forwarded-for')).toHaveLength(1);
          expect(named('x-forwarded-proto')).toHaveLength(1);
          expect(named('x-forwarded-host').length).toBeLessThanOrEqual(1);
          const xff = named('x-forwarded-for')[0]?.[1] ?? '';
          expect(xff.endsWith(peer ?? 'unknown')).toBe(true);
          const isTrusted = trustedPeer && peer !== undefined;
          if (!isTrusted) {
            expect(xff).toBe(peer ?? 'unknown');
            expect(named('x-forwarded-proto')[0]?.[1]).toBe(encrypted ? 'https' : 'http');
            for (const n of ['forwarded', 'x-real-ip', 'x-forwarded-port']) expect(named(n)).toEqual([]);
          }
          // Every other client header goes on as sent: same name case, same value, same order. Forwarding headers only
          // from a trusted peer, and X-Forwarded-For/Proto/Host merged into the gateway's own.
          const lower = (k: string) => k.toLowerCase();
          const own = (k: string) => ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'].includes(lower(k));
          const forwarding = (k: string) => own(k) || ['forwarded', 'x-real-ip', 'x-forwarded-port'].includes(lower(k));
          const dropped = (k: string) =>
            ['host', 'expect'].includes(lower(k)) || isHopByHop(lower(k)) || listed.has(lower(k));
          const expected = raw.filter(([k]) => !dropped(k) && (!forwarding(k) || (isTrusted && !own(k))));
          expect(pairs.filter(([k]) => lower(k) !== 'host' && !own(k))).toEqual(expected);
          if (isTrusted) {
            const theirs = raw.filter(([k]) => lower(k) === 'x-forwarded-for' && !listed.has('x-forwarded-for'));
            expect(xff).toBe([...theirs.map(([, v]) => v), peer].join(', '));
          }
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );

  it(
    'trustChecker: a configured address is trusted also as IPv4-mapped IPv6, nothing else is',
    () => {
      const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('::1', '127.0.0.1'));
      fuzz(
        fc.tuple(fc.array(address, { maxLength: 4 }), address),
        ([list, peer]) => {
          const trusted = trustChecker(list);
          const bare = (a: string) => (a.startsWith('::ffff:') ? a.slice(7) : a);
          expect(trusted(peer)).toBe(list.map(bare).includes(bare(peer)));
          expect(trusted(undefined)).toBe(false);
          for (const a of list) if (!a.includes(':')) expect(trusted(`::ffff:${a}`)).toBe(true);
        },
        { share: 0.25 },
      );
    },
    FUZZ_TEST_TIMEOUT,
  );
});
