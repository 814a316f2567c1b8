import { describe, expect, it } from 'vitest';
import { createOriginRewriter } from '../../src/proxy/rewrite.js';

const rw = createOriginRewriter('http://127.0.0.1:8090');
const pub = 'https://gw.example.com';

describe('origin rewriter', () => {
  it('rewrites bounded occurrences in a body, plain and JSON-escaped', () => {
    const body = Buffer.from(
      '{"next_page":"http://127.0.0.1:8090/api/v2/tickets.json?page=2","u":"http:\\/\\/127.0.0.1:8090\\/x","other":"http://127.0.0.1:80901/a","dot":"http://127.0.0.1:8090.evil.com/"}',
    );
    const out = rw.body(body, pub)?.toString();
    expect(out).toBe(
      '{"next_page":"https://gw.example.com/api/v2/tickets.json?page=2","u":"https:\\/\\/gw.example.com\\/x","other":"http://127.0.0.1:80901/a","dot":"http://127.0.0.1:8090.evil.com/"}',
    );
  });

  it('returns null when nothing matches so the original bytes are sent', () => {
    expect(rw.body(Buffer.from('{"a":"http://127.0.0.1:80901"}'), pub)).toBeNull();
    expect(rw.body(Buffer.from('{"a":1}'), pub)).toBeNull();
  });

  it('rewrites header values and Set-Cookie domains', () => {
    expect(rw.headerValue('http://127.0.0.1:8090/api/v2/tickets/5.json', pub)).toBe(
      'https://gw.example.com/api/v2/tickets/5.json',
    );
    expect(rw.headerValue('<http://127.0.0.1:8090/a?page%5Bafter%5D=x>; rel="next"', pub)).toBe(
      '<https://gw.example.com/a?page%5Bafter%5D=x>; rel="next"',
    );
    expect(rw.headerValue('/relative', pub)).toBe('/relative');
    expect(rw.setCookie('sid=1; Path=/; Domain=127.0.0.1; HttpOnly', pub)).toBe(
      'sid=1; Path=/; Domain=gw.example.com; HttpOnly',
    );
    expect(rw.setCookie('sid=1; Domain=other.example', pub)).toBe('sid=1; Domain=other.example');
  });

  it('stream rewriting equals whole-body rewriting for every chunk split', () => {
    const text =
      '{"links":{"next":"http://127.0.0.1:8090/n","prev":"http:\\/\\/127.0.0.1:8090/p"},"x":"http://127.0.0.1:80901","end":"http://127.0.0.1:8090"}';
    const whole = rw.body(Buffer.from(text), pub)?.toString();
    for (let a = 1; a < text.length; a += 3) {
      for (const b of [a + 1, a + 7, a + 23]) {
        const s = rw.stream(pub);
        const parts = [text.slice(0, a), text.slice(a, b), text.slice(b)].map((t) => s.push(Buffer.from(t)));
        parts.push(s.end());
        expect(Buffer.concat(parts).toString()).toBe(whole);
      }
    }
  });
});
