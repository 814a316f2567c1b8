import type { ClientFeaturesResponse } from 'unleash-client';
import { z } from 'zod';

/*
 * The flags file is the body of Unleash's `GET /api/client/features`. The schema checks what unleash-client needs to
 * evaluate safely and what a hand edit gets wrong most (a string `enabled`, a missing `strategies`, a typo in a
 * rollout); it keeps unknown fields, so a file exported from a server passes unchanged.
 */

const ConstraintSchema = z.looseObject({
  contextName: z.string().min(1),
  operator: z.string().min(1),
  values: z.array(z.string()).default([]),
  value: z.union([z.string(), z.number()]).optional(),
  inverted: z.boolean().default(false),
  caseInsensitive: z.boolean().optional(),
});

const ROLLOUT_PARAM: Readonly<Record<string, string>> = {
  flexibleRollout: 'rollout',
  gradualRolloutUserId: 'percentage',
  gradualRolloutSessionId: 'percentage',
  gradualRolloutRandom: 'percentage',
};

const StrategySchema = z
  .looseObject({
    name: z.string().min(1),
    parameters: z.record(z.string(), z.unknown()).default({}),
    constraints: z.array(ConstraintSchema).default([]),
    segments: z.array(z.number().int()).optional(),
    variants: z.array(z.looseObject({ name: z.string() })).optional(),
  })
  .superRefine((s, ctx) => {
    const param = ROLLOUT_PARAM[s.name];
    if (param === undefined) return;
    const raw = s.parameters[param];
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    if (!(n >= 0 && n <= 100)) {
      ctx.addIssue({
        code: 'custom',
        path: ['parameters', param],
        message: `${s.name} needs ${param} between 0 and 100, got ${JSON.stringify(raw)}`,
      });
    }
  });

const FeatureSchema = z.looseObject({
  name: z.string().min(1),
  enabled: z.boolean(),
  strategies: z.array(StrategySchema),
  variants: z.array(z.looseObject({ name: z.string() })).optional(),
});

const SegmentSchema = z.looseObject({ id: z.number().int(), constraints: z.array(ConstraintSchema) });

export const ClientFeaturesFileSchema = z
  .looseObject({
    version: z.number().int(),
    features: z.array(FeatureSchema),
    segments: z.array(SegmentSchema).optional(),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.features.forEach((f, i) => {
      if (seen.has(f.name)) {
        ctx.addIssue({ code: 'custom', path: ['features', i, 'name'], message: `duplicate flag "${f.name}"` });
      }
      seen.add(f.name);
    });
  });

export type ClientFeaturesFile = z.infer<typeof ClientFeaturesFileSchema>;

export type ParseResult = { ok: true; data: ClientFeaturesResponse } | { ok: false; error: string };

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  return out === '' ? '(root)' : out;
}

function lineColumn(text: string, pos: number): string {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `line ${line} column ${column}`;
}

/** V8's context window around an unexpected token (kMaxContextCharacters). */
const V8_CONTEXT = 10;

/**
 * Turns V8's JSON.parse message into one line with a line number. V8 gives either "at position N" or, for an
 * unexpected token, a snippet of the source; the snippet is located in the text to find the line.
 */
export function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const atPos = /^(.*?) in JSON at position (\d+)/s.exec(message);
  if (atPos?.[1] !== undefined && atPos[2] !== undefined) return `${atPos[1]} at ${lineColumn(text, Number(atPos[2]))}`;
  const tok = /^(Unexpected token '.+?'), (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (tok?.[1] !== undefined && tok[3] !== undefined) {
    const snippet = tok[3];
    const start = text.indexOf(snippet);
    if (start >= 0) {
      const pos = tok[2] ? start + V8_CONTEXT : tok[4] ? start + snippet.length - V8_CONTEXT : -1;
      if (pos >= 0) return `${tok[1]} at ${lineColumn(text, pos)}`;
    }
    return tok[1];
  }
  return message;
}

/** Parses and validates the text of a flags file. Errors are one line, meant for status and logs. */
export function parseClientFeatures(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: describeJsonError(text, err) };
  }
  const parsed = ClientFeaturesFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${formatPath(i.path)}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? ` (+${parsed.error.issues.length - 5} more)` : '';
    return { ok: false, error: `not a client-features document: ${issues.join('; ')}${more}` };
  }
  // The schema checked every field unleash-client reads; its types only differ by using enums for operators.
  return { ok: true, data: parsed.data as unknown as ClientFeaturesResponse };
}
