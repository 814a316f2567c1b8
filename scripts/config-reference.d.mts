// Types of scripts/config-reference.mjs, for the test that imports it (test/docs/config-reference.test.ts).
import type { z } from 'zod';

export interface ReferenceRow {
  /** Dotted key; `<slice>` for record keys, `[]` for list items. */
  key: string;
  /** Environment variables that set this key. */
  env: string[];
  /** Rendered default (`—` none, `required` inside a list item). */
  default: string;
  type: string;
  meaning: string;
}

export type LoadConfig = (opts: { env: Record<string, string | undefined> }) => unknown;

export const START_MARKER: string;
export const END_MARKER: string;
export const MEANINGS: Readonly<Record<string, string>>;
export function envCandidates(source: string): string[];
export function envOverrides(loadConfig: LoadConfig, candidates: readonly string[]): Map<string, string[]>;
export function configReference(opts: { schema: z.ZodType; loadConfig: LoadConfig; source: string }): {
  rows: ReferenceRow[];
  env: Map<string, string[]>;
  problems: string[];
};
export function renderTable(rows: readonly ReferenceRow[]): string;
export function readmeTable(readme: string): string | null;
export function withTable(readme: string, table: string): string;
