/**
 * The admin token check's timing design, observed where it is decided: every configured token is compared, always
 * as two 32-byte SHA-256 digests with crypto.timingSafeEqual, whichever token (if any) matches and whatever the length
 * or shape of what the client sent. Timing itself is not measured (too noisy on shared CI); the calls are.
 */
import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../src/admin/auth.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const compare = vi.mocked(crypto.timingSafeEqual);

const TOKENS = [
  'first-token-0123456789',
  'second-token-0123456789',
  'third-token-0123456789-longer',
  'fourth-tok-0123456789',
];
const auth = createAuthenticator(TOKENS.map((token, i) => ({ token, role: 'viewer' as const, name: `t${i}` })));

beforeEach(() => {
  compare.mockClear();
});

describe('admin token comparison', () => {
  it.each([
    ['the first token', `Bearer ${TOKENS[0]}`, 't0'],
    ['the last token', `Bearer ${TOKENS[3]}`, 't3'],
    ['a wrong token of the same length', `Bearer ${'x'.repeat(TOKENS[0]?.length ?? 0)}`, null],
    ['a prefix of a token', `Bearer ${TOKENS[1]?.slice(0, 6)}`, null],
    ['a 10 KiB token', `Bearer ${'y'.repeat(10_240)}`, null],
    ['an empty token', 'Bearer ', null],
  ])('%s: every token compared, digest against digest', (_name, header, who) => {
    expect(auth(header)?.name ?? null).toBe(who);
    expect(compare).toHaveBeenCalledTimes(TOKENS.length);
    for (const [a, b] of compare.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('a header without the Bearer scheme is refused before any comparison', () => {
    expect(auth(`Basic ${TOKENS[0]}`)).toBeNull();
    expect(auth(undefined)).toBeNull();
    expect(compare).not.toHaveBeenCalled();
  });
});
