import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RedisClient } from '../state/redis-client.js';
import type { NoiseEntry, NoisePersistence } from './noise.js';

const EntrySchema = z.object({
  slice: z.string(),
  path: z.string(),
  samples: z.number().int().min(0),
  differing: z.number().int().min(0),
  status: z.enum(['learning', 'learned', 'accepted', 'rejected']),
  reason: z.string().optional(),
  by: z.string().optional(),
  decidedAt: z.string().optional(),
  expiresAt: z.string().optional(),
});

function parseEntries(values: unknown[]): NoiseEntry[] {
  const out: NoiseEntry[] = [];
  for (const v of values) {
    const r = EntrySchema.safeParse(v);
    if (r.success) out.push(r.data as NoiseEntry);
  }
  return out;
}

/** Learned noise in a JSON file (the embedded default): written atomically (temp file + rename). */
export function fileNoisePersistence(file: string): NoisePersistence {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const doc = JSON.parse(text) as { entries?: unknown };
      return Array.isArray(doc.entries) ? parseEntries(doc.entries) : [];
    },
    async save(entries) {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify({ version: 1, entries }, null, 1)}\n`);
      await rename(tmp, file);
    },
  };
}

/** Learned noise in a Redis hash shared by all replicas (field = slice NUL path). */
export function redisNoisePersistence(redis: RedisClient, prefix: string): NoisePersistence {
  const hash = `${prefix}noise`;
  return {
    async load() {
      const all = await redis.hgetall(hash);
      return parseEntries(
        Object.values(all).map((s) => {
          try {
            return JSON.parse(s) as unknown;
          } catch {
            return null;
          }
        }),
      );
    },
    async save(entries) {
      if (entries.length === 0) return;
      const args: string[] = [];
      for (const e of entries) args.push(`${e.slice}\u0000${e.path}`, JSON.stringify(e));
      await redis.hset(hash, ...args);
    },
  };
}
