import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { INTENTS } from '../types.js';

/** One line of a labelled utterance file (`data/intents/*.jsonl`, or any file given to `npm run eval`). */
export const LabelledExampleSchema = z
  .object({
    text: z.string().refine((s) => s.trim() !== '', 'must not be empty'),
    intent: z.enum(INTENTS),
  })
  .strict();
export type LabelledExample = z.infer<typeof LabelledExampleSchema>;

export interface DatasetProblem {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface ParsedDataset {
  examples: LabelledExample[];
  problems: DatasetProblem[];
}

/** Parses JSONL, collecting every bad line instead of stopping at the first. Blank lines are skipped. */
export function parseLabelledJsonl(content: string): ParsedDataset {
  const examples: LabelledExample[] = [];
  const problems: DatasetProblem[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      problems.push({ line, message: `not JSON: ${(e as Error).message}` });
      return;
    }
    const parsed = LabelledExampleSchema.safeParse(json);
    if (parsed.success) examples.push(parsed.data);
    else {
      const issues = parsed.error.issues.map((iss) => `${iss.path.join('.') || '(line)'}: ${iss.message}`);
      problems.push({ line, message: issues.join('; ') });
    }
  });
  if (examples.length === 0 && problems.length === 0) problems.push({ line: 0, message: 'no examples in file' });
  return { examples, problems };
}

export class DatasetError extends Error {
  readonly problems: DatasetProblem[];
  constructor(file: string, problems: DatasetProblem[]) {
    super(`${file}: ${problems.length} bad line(s)`);
    this.name = 'DatasetError';
    this.problems = problems;
  }
}

/** Reads a labelled file; throws `DatasetError` listing every bad line. */
export function readLabelledFile(file: string): LabelledExample[] {
  const { examples, problems } = parseLabelledJsonl(readFileSync(file, 'utf8'));
  if (problems.length > 0) throw new DatasetError(file, problems);
  return examples;
}
