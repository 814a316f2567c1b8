import { describe, expect, it } from 'vitest';
import { type BreakerState, createBreaker, withSharedOpen } from '../../src/pipeline/breaker.js';

function setup(now: { t: number }) {
  const changes: BreakerState[] = [];
  const b = createBreaker({
    windowMs: 10_000,
    buckets: 10,
    errorThresholdPercent: 50,
    minimumRequests: 10,
    openMs: 5_000,
    now: () => now.t,
    onStateChange: (s) => changes.push(s),
  });
  return { b, changes };
}

describe('breaker', () => {
  it('stays closed below the minimum volume even at 100 % errors', () => {
    const now = { t: 0 };
    const { b } = setup(now);
    for (let i = 0; i < 9; i++) {
      expect(b.tryAcquire()).toBe(true);
      b.failure();
    }
    expect(b.state).toBe('closed');
  });

  it('opens above the error threshold, lets one half-open probe through, and closes on its success', () => {
    const now = { t: 0 };
    const { b, changes } = setup(now);
    for (let i = 0; i < 4; i++) b.success();
    for (let i = 0; i < 6; i++) b.failure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now.t += 5_000;
    expect(b.tryAcquire()).toBe(true); // the probe
    expect(b.tryAcquire()).toBe(false); // only one at a time
    b.success();
    expect(b.state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('re-opens when the probe fails', () => {
    const now = { t: 0 };
    const { b } = setup(now);
    for (let i = 0; i < 10; i++) b.failure();
    now.t += 5_000;
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    now.t += 4_999;
    expect(b.tryAcquire()).toBe(false);
  });

  it('forgets failures older than the window', () => {
    const now = { t: 0 };
    const { b } = setup(now);
    for (let i = 0; i < 9; i++) b.failure();
    now.t += 11_000;
    for (let i = 0; i < 5; i++) b.success();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.stats()).toMatchObject({ calls: 6, failures: 1 });
  });
});

describe('withSharedOpen', () => {
  it('keeps the new path closed while another replica holds the slice open, and resumes when that period ends', () => {
    const now = { t: 0 };
    const { b } = setup(now);
    let until = 0;
    const shared = withSharedOpen(
      b,
      () => until,
      () => now.t,
    );
    expect(shared.tryAcquire()).toBe(true);
    shared.success();
    until = 5_000;
    expect(shared.state).toBe('open');
    expect(shared.tryAcquire()).toBe(false);
    expect(b.state).toBe('closed'); // the local breaker's own window is untouched
    now.t = 5_000;
    expect(shared.state).toBe('closed');
    expect(shared.tryAcquire()).toBe(true);
  });

  it('lets the local breaker decide once it is itself open or probing', () => {
    const now = { t: 0 };
    const { b } = setup(now);
    const shared = withSharedOpen(
      b,
      () => 0,
      () => now.t,
    );
    for (let i = 0; i < 10; i++) {
      shared.tryAcquire();
      shared.failure();
    }
    expect(shared.state).toBe('open');
    now.t = 5_000;
    expect(shared.tryAcquire()).toBe(true); // the one half-open probe
    expect(shared.tryAcquire()).toBe(false);
  });
});
