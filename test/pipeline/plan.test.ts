import { describe, expect, it } from 'vitest';
import { decide, type PlanInput } from '../../src/pipeline/plan.js';

const base: PlanInput = {
  killSwitch: false,
  pinned: false,
  flagsUsable: true,
  serve: false,
  shadow: false,
  serveIsFull: false,
};

describe('plan', () => {
  it('serves legacy when the serve flag is off, shadowing when the shadow flag selects the request', () => {
    expect(decide(base)).toMatchObject({ target: 'legacy', mode: 'legacy', reason: 'flag_off', shadow: false });
    expect(decide({ ...base, shadow: true })).toMatchObject({ target: 'legacy', mode: 'shadow', shadow: true });
  });

  it('serves the new path as canary below 100 % and live at 100 %', () => {
    expect(decide({ ...base, serve: true })).toMatchObject({ target: 'new', mode: 'canary', reason: 'flag_on' });
    expect(decide({ ...base, serve: true, serveIsFull: true })).toMatchObject({ target: 'new', mode: 'live' });
  });

  it('lets the kill switch, pins and stale flags win over flags, in that order, without shadowing', () => {
    const all = { ...base, serve: true, shadow: true, serveIsFull: true };
    expect(decide({ ...all, killSwitch: true, pinned: true, flagsUsable: false })).toMatchObject({
      target: 'legacy',
      reason: 'kill_switch',
      shadow: false,
    });
    expect(decide({ ...all, pinned: true, flagsUsable: false })).toMatchObject({
      target: 'legacy',
      reason: 'pinned',
      shadow: false,
    });
    expect(decide({ ...all, flagsUsable: false })).toMatchObject({
      target: 'legacy',
      reason: 'flags_stale',
      shadow: false,
    });
  });
});
