import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_NODE_FLAGS } from '../../src/runtime.js';

const repo = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const flags = GATEWAY_NODE_FLAGS.join(' ');

describe('the V8 flags the gateway ships with (src/runtime.ts)', () => {
  it('are the ones in the bin shebang, the npm start scripts and the Dockerfile entrypoint', () => {
    expect(repo('src/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
    const pkg = JSON.parse(repo('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${flags} dist/src/main.js demo`);
    expect(pkg.scripts['start:prod']).toBe(`node ${flags} dist/src/main.js start`);
    const entry = repo('deploy/Dockerfile')
      .split('\n')
      .find((l) => l.startsWith('ENTRYPOINT '));
    expect(JSON.parse(entry?.slice('ENTRYPOINT '.length) ?? '[]')).toEqual([
      'node',
      ...GATEWAY_NODE_FLAGS,
      'dist/src/main.js',
    ]);
  });

  it('are accepted by this node (an unknown V8 flag would stop the gateway from starting at all)', () => {
    const r = spawnSync(process.execPath, [...GATEWAY_NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const bad = spawnSync(process.execPath, ['--no-such-v8-flag-here', '-e', 'process.exit(0)'], { encoding: 'utf8' });
    expect(bad.status, 'node rejects unknown flags, so the check above can fail').not.toBe(0);
  });

  it('take effect: the young generation starts at its full 16 MB semi-space (node defaults to 1 MB)', () => {
    const probe =
      "console.log(require('v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)";
    const size = (args: readonly string[]) =>
      Number(spawnSync(process.execPath, [...args, '-e', probe], { encoding: 'utf8' }).stdout.trim()) / 2 ** 20;
    expect(size([])).toBeLessThan(16);
    expect(size(GATEWAY_NODE_FLAGS)).toBe(16);
  });

  it('take effect: the old generation is held to 384 MB whatever the host has (node sizes it from the host)', () => {
    const probe = "console.log(require('v8').getHeapStatistics().heap_size_limit)";
    const limit = (args: readonly string[]) =>
      Number(spawnSync(process.execPath, [...args, '-e', probe], { encoding: 'utf8' }).stdout.trim()) / 2 ** 20;
    // The limit counts the young generation too (3 × 16 MB semi-spaces at most).
    expect(limit(GATEWAY_NODE_FLAGS)).toBeGreaterThanOrEqual(384);
    expect(limit(GATEWAY_NODE_FLAGS)).toBeLessThanOrEqual(384 + 3 * 16);
    // On a small host node would pick less than 384 MB itself; where it picks more, the flag is what holds it.
    const own = limit(GATEWAY_NODE_FLAGS.filter((f) => !f.startsWith('--max-old-space-size')));
    if (own > 512) expect(own).toBeGreaterThan(limit(GATEWAY_NODE_FLAGS));
  });
});

describe('garbage collection on the serving thread only (--single-threaded-gc)', () => {
  // A heap of ~40 MB live objects, rewritten and fully collected ten times; prints the CPU ticks (10 ms) that every
  // thread but the main one used. With V8's default GC, parallel and concurrent marking run on its helper threads.
  const probe = `
    const fs = require('fs');
    const keep = [];
    for (let i = 0; i < 300000; i++) keep.push({ i, s: 'x' + i, a: [i, i + 1] });
    for (let k = 0; k < 10; k++) {
      for (let i = 0; i < 150000; i++) keep[(i * 7919) % keep.length] = { i, s: 'y' + i, a: [i] };
      gc();
    }
    let ticks = 0;
    for (const t of fs.readdirSync('/proc/self/task')) {
      if (Number(t) === process.pid) continue;
      const f = fs.readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    console.log(ticks);`;
  const helperTicks = (args: readonly string[]) => {
    const r = spawnSync(process.execPath, [...args, '--expose-gc', '-e', probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return Number(r.stdout.trim());
  };

  it.skipIf(process.platform !== 'linux')('leaves V8 no helper threads to preempt it on a shared core', () => {
    expect(helperTicks(GATEWAY_NODE_FLAGS)).toBeLessThanOrEqual(2);
    const without = GATEWAY_NODE_FLAGS.filter((f) => f !== '--single-threaded-gc');
    expect(helperTicks(without), 'with helper threads the probe sees their CPU, so the check can fail').toBeGreaterThan(
      10,
    );
  });
});
