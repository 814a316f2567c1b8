/**
 * Raw-socket helpers for the security suite: send bytes no HTTP client would send, read every answer until the
 * gateway closes (or stays quiet), and parse the answers back into responses.
 */
import net from 'node:net';
import { expect } from 'vitest';
import type { RecordedRequest, Simulator } from '../../legacy-adapters/simulator/types.js';

export interface Exchange {
  /** Everything received, as latin1 text. */
  text: string;
  /** The gateway closed the connection (rather than the exchange ending on silence). */
  closed: boolean;
  responses: RawResponse[];
}

export interface RawResponse {
  status: number;
  /** Lower-case name → values in arrival order. */
  headers: Map<string, string[]>;
  body: string;
}

/**
 * Writes `parts` in order (a number pauses that many ms) and collects the answer until the server closes the
 * connection or stays silent for `idleMs`.
 */
export function exchange(
  origin: string,
  parts: (string | Buffer | number)[] | string | Buffer,
  idleMs = 1_000,
): Promise<Exchange> {
  const u = new URL(origin);
  const list = Array.isArray(parts) ? parts : [parts];
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), u.hostname);
    const chunks: Buffer[] = [];
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, closed, responses: parseResponses(text) });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      arm();
    });
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('error', () => {});
    sock.once('connect', async () => {
      for (const p of list) {
        if (typeof p === 'number') await new Promise((r) => setTimeout(r, p));
        else if (!sock.destroyed) sock.write(p);
      }
      arm();
    });
  });
}

/** Parses consecutive HTTP/1.1 responses (Content-Length, chunked, or until the end). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = [];
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const lines = text.slice(pos, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).trim().toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(i + 1).trim()]);
    }
    pos = end + 4;
    let body = '';
    const cl = headers.get('content-length')?.[0];
    if (status === 101 || status === 204 || status === 304) {
      // no body
    } else if (cl !== undefined) {
      body = text.slice(pos, pos + Number(cl));
      pos += Number(cl);
    } else if (headers.get('transfer-encoding')?.[0]?.toLowerCase() === 'chunked') {
      for (;;) {
        const lineEnd = text.indexOf('\r\n', pos);
        if (lineEnd === -1) {
          pos = text.length;
          break;
        }
        const size = Number.parseInt(text.slice(pos, lineEnd), 16);
        pos = lineEnd + 2;
        if (!size) {
          pos = text.indexOf('\r\n', pos) + 2 || text.length;
          break;
        }
        body += text.slice(pos, pos + size);
        pos += size + 2;
      }
    } else {
      body = text.slice(pos);
      pos = text.length;
    }
    out.push({ status, headers, body });
  }
  return out;
}

/** The problem document of a gateway answer, asserting its media type. */
export function problemOf(r: RawResponse | undefined): { code: string; status: number; title: string } {
  expect(r, 'a response').toBeDefined();
  expect(r?.headers.get('content-type')?.[0]).toBe('application/problem+json');
  return JSON.parse(r?.body ?? '') as { code: string; status: number; title: string };
}

/** A normal request right after the hostile one still gets legacy's normal answer. */
export async function expectServing(origin: string): Promise<void> {
  const res = await fetch(`${origin}/api/v2/tickets/2.json`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { ticket: { id: number } }).ticket.id).toBe(2);
}

/** What legacy receives from now on (the simulator's request log, control requests excluded). */
export function legacyLog(sim: Simulator): () => RecordedRequest[] {
  const start = sim.requests().length;
  // The simulator keeps the last 1000 requests: past that, counting from `start` would skip some.
  if (start >= 900) throw new Error('simulator request log nearly full: reset it between tests');
  return () => sim.requests().slice(start);
}

/** The echo endpoint's answer: what legacy saw. */
export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body_bytes: number;
}

export const echoOf = (r: RawResponse | undefined): Echo => JSON.parse(r?.body ?? '') as Echo;
