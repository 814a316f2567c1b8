import { connectionTokens, isHopByHop } from '../proxy/headers.js';
import type { RecordedLine } from '../shadow/recorder.js';
import { CliError } from './diffs.js';

/** What `gateway replay` reads: the recorder's JSONL, or HAR 1.2 (`log.entries[].request`). */

/** One request to resend. */
export interface ReplayRequest {
  /** 1-based position in the input. */
  n: number;
  method: string;
  /** Path and query; sent to the target's origin. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | null;
  /** The slice the recorder saw (JSONL only). */
  slice: string | null;
}

export interface ReplayInput {
  format: 'jsonl' | 'har';
  requests: ReplayRequest[];
  skipped: Array<{ n: number; reason: string }>;
}

// Besides the hop-by-hop headers (isHopByHop): the ones the target sets itself, and the ones replay sets.
const DROP = new Set(['host', 'content-length', 'expect', 'x-gateway-replay', 'x-request-id']);
/** Values the masker leaves in place of secrets: sending them would only fail differently. */
const MASKED = /^\[(stripped|unmaskable|redacted)\]$/;
const METHOD = /^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/;

/** The headers worth resending: no hop-by-hop, Host, Content-Length, HTTP/2 pseudo-headers or masked secrets. */
export function replayHeaders(pairs: Iterable<[string, string]>): Record<string, string> {
  const list = [...pairs].map(([k, v]) => [k.toLowerCase(), String(v)] as const);
  const conn = connectionTokens(list.find(([k]) => k === 'connection')?.[1]);
  const out: Record<string, string> = {};
  for (const [name, value] of list) {
    if (name.startsWith(':') || isHopByHop(name) || DROP.has(name) || conn?.has(name) || MASKED.test(value.trim()))
      continue;
    const prev = out[name];
    out[name] = prev === undefined ? value : `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return out;
}

/** Path and query of a recorded URL (absolute or origin-relative); null when it is neither. */
export function pathOf(url: string): string | null {
  if (url.startsWith('/')) return url.startsWith('//') ? null : url;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? `${u.pathname}${u.search}` : null;
  } catch {
    return null;
  }
}

function isHar(text: string, name: string): boolean {
  if (/\.har$/i.test(name)) return true;
  if (/\.jsonl$/i.test(name)) return false;
  return /^\s*\{\s*"log"\s*:/.test(text);
}

/** Parses recorder JSONL or HAR 1.2. Unusable entries are skipped with a reason; unreadable input is a usage error. */
export function parseReplayInput(text: string, name: string): ReplayInput {
  const requests: ReplayRequest[] = [];
  const skipped: ReplayInput['skipped'] = [];
  const add = (
    n: number,
    method: unknown,
    url: unknown,
    headers: Iterable<[string, string]>,
    body: Buffer | null,
    slice: string | null,
  ): void => {
    const m = typeof method === 'string' ? method.toUpperCase() : '';
    const path = typeof url === 'string' ? pathOf(url) : null;
    if (!METHOD.test(m)) skipped.push({ n, reason: `bad method ${JSON.stringify(method)}` });
    else if (!path) skipped.push({ n, reason: `bad url ${JSON.stringify(url)}` });
    else requests.push({ n, method: m, path, headers: replayHeaders(headers), body, slice });
  };

  if (isHar(text, name)) {
    let doc: { log?: { entries?: unknown } };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      throw new CliError(`${name}: not a HAR file (${(e as Error).message})`, 2);
    }
    if (!Array.isArray(doc?.log?.entries)) throw new CliError(`${name}: not a HAR file (no log.entries)`, 2);
    for (const [i, entry] of (doc.log.entries as unknown[]).entries()) {
      const req = (entry as { request?: Record<string, unknown> } | null)?.request;
      if (!req) {
        skipped.push({ n: i + 1, reason: 'no request' });
        continue;
      }
      const headers = Array.isArray(req.headers)
        ? (req.headers as Array<{ name?: unknown; value?: unknown }>)
            .filter((h) => typeof h?.name === 'string')
            .map((h) => [String(h.name), String(h.value ?? '')] as [string, string])
        : [];
      const post = req.postData as { text?: unknown; encoding?: unknown } | undefined;
      const body =
        typeof post?.text === 'string' && post.text.length
          ? Buffer.from(post.text, post.encoding === 'base64' ? 'base64' : 'utf8')
          : null;
      add(i + 1, req.method, req.url, headers, body, null);
    }
    return { format: 'har', requests, skipped };
  }

  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    if (!raw.trim()) return;
    let line: Partial<RecordedLine>;
    try {
      line = JSON.parse(raw) as Partial<RecordedLine>;
    } catch {
      skipped.push({ n, reason: 'not JSON' });
      return;
    }
    if (line === null || typeof line !== 'object') {
      skipped.push({ n, reason: 'not an object' });
      return;
    }
    if (line.bodyOmitted) {
      skipped.push({ n, reason: `body not recorded (${line.bodyOmitted})` });
      return;
    }
    const body =
      typeof line.bodyBase64 === 'string'
        ? Buffer.from(line.bodyBase64, 'base64')
        : typeof line.body === 'string' && line.body.length
          ? Buffer.from(line.body, 'utf8')
          : null;
    const headers =
      line.headers && typeof line.headers === 'object'
        ? Object.entries(line.headers).map(([k, v]) => [k, String(v)] as [string, string])
        : [];
    add(n, line.method, line.url, headers, body, typeof line.slice === 'string' ? line.slice : null);
  });
  return { format: 'jsonl', requests, skipped };
}
