/** Timestamp formats of the simulated systems. Everything is UTC and second-precision, so output is deterministic. */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Zendesk style: `2024-01-05T10:00:00Z` (no milliseconds). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CRM / SOAP style: `20240105 100000`. */
export function legacyTimestamp(ms: number): string {
  const d = new Date(ms);
  return `${legacyDate(ms)} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** CRM / SOAP date: `20240105`. */
export function legacyDate(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
