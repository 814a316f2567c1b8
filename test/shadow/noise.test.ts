import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNoiseLearner, type NoiseLearner } from '../../src/shadow/noise.js';
import { fileNoisePersistence } from '../../src/shadow/noise-persistence.js';

const opts = { minSamples: 5, minRate: 0.2, defaultAcceptDays: 30 };

describe('noise learner', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('learns a field that differs on every legacy call only after N samples', () => {
    const n = createNoiseLearner(opts);
    for (let i = 1; i <= 4; i++) {
      n.observe('tickets.get', ['updatedAt']);
      expect(n.noiseOf('tickets.get', 'updatedAt')).toBeNull();
    }
    n.observe('tickets.get', ['updatedAt']);
    expect(n.noiseOf('tickets.get', 'updatedAt')).toBe('learned');
    // Another slice knows nothing of it.
    expect(n.noiseOf('tickets.create', 'updatedAt')).toBeNull();
  });

  it('never calls a path noise when the two legacy answers agree on it (a real mismatch stays real)', () => {
    const n = createNoiseLearner(opts);
    for (let i = 0; i < 50; i++) n.observe('tickets.get', i % 2 === 0 ? ['updatedAt'] : []);
    expect(n.noiseOf('tickets.get', 'updatedAt')).toBe('learned');
    expect(n.noiseOf('tickets.get', 'subject')).toBeNull();
    expect(n.list('tickets.get').map((e) => e.path)).toEqual(['updatedAt']);
  });

  it('keeps a rarely differing path below the rate in learning', () => {
    const n = createNoiseLearner(opts);
    n.observe('s', ['counter']);
    for (let i = 0; i < 20; i++) n.observe('s', []);
    const [e] = n.list('s');
    expect(e).toMatchObject({ path: 'counter', samples: 21, differing: 1, status: 'learning' });
    expect(n.noiseOf('s', 'counter')).toBeNull();
  });

  it('QA accepts with a reason and an expiry (stays visible), rejects, and resets', () => {
    let t = Date.parse('2026-01-01T00:00:00Z');
    const n = createNoiseLearner({ ...opts, now: () => t });
    const accepted = n.decide('s', 'description', { action: 'accept', reason: 'new wording', by: 'qa-1' });
    expect(accepted).toMatchObject({ status: 'accepted', reason: 'new wording', by: 'qa-1' });
    expect(accepted.expiresAt).toBe('2026-01-31T00:00:00.000Z');
    expect(n.noiseOf('s', 'description')).toBe('accepted');
    t += 31 * 86_400_000;
    expect(n.noiseOf('s', 'description')).toBeNull();
    expect(n.list('s')[0]).toMatchObject({ status: 'accepted', expired: true });

    for (let i = 0; i < 5; i++) n.observe('s', ['updatedAt']);
    expect(n.noiseOf('s', 'updatedAt')).toBe('learned');
    n.decide('s', 'updatedAt', { action: 'reject', reason: 'must be stable', by: 'qa-2' });
    expect(n.noiseOf('s', 'updatedAt')).toBeNull();
    n.observe('s', ['updatedAt']);
    expect(n.noiseOf('s', 'updatedAt')).toBeNull();
    n.decide('s', 'updatedAt', { action: 'reset', reason: 'try again', by: 'qa-2' });
    expect(n.noiseOf('s', 'updatedAt')).toBe('learned');
  });

  it('persists to a file and merges on refresh (counts by maximum, decisions by newest)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'noise-'));
    dirs.push(dir);
    const file = path.join(dir, 'noise.json');
    const a: NoiseLearner = createNoiseLearner({ ...opts, persistence: fileNoisePersistence(file) });
    for (let i = 0; i < 6; i++) a.observe('tickets.get', ['updatedAt', 'id']);
    a.decide('tickets.get', 'id', { action: 'reject', reason: 'ids must match', by: 'qa' });
    await a.close();
    expect(JSON.parse(await readFile(file, 'utf8')).entries).toHaveLength(2);

    const b = createNoiseLearner({ ...opts, persistence: fileNoisePersistence(file) });
    await b.refresh();
    expect(b.noiseOf('tickets.get', 'updatedAt')).toBe('learned');
    expect(b.noiseOf('tickets.get', 'id')).toBeNull();
    expect(b.list().find((e) => e.path === 'id')).toMatchObject({ status: 'rejected', reason: 'ids must match' });
  });

  it('survives a corrupt persistence file (reports, starts empty)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'noise-'));
    dirs.push(dir);
    const file = path.join(dir, 'noise.json');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(file, '{not json');
    const errors: string[] = [];
    const n = createNoiseLearner({
      ...opts,
      persistence: fileNoisePersistence(file),
      onError: (_e, op) => errors.push(op),
    });
    await n.refresh();
    expect(errors).toEqual(['load']);
    expect(n.list()).toEqual([]);
  });
});
