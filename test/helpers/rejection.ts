import { expect } from 'vitest';

/**
 * The error `p` rejects with, checked to be a `type`, for tests that go on to assert its code and fields. A `p` that
 * resolves fails the test.
 */
export async function rejectionOf<E>(p: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected a rejection with a ${type.name}, but the promise resolved`);
}
