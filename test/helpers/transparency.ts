/**
 * Transparency harness: a legacy simulator and a gateway in front of it on real sockets (port 0), and a comparison
 * that sends one request to both and asserts the gateway's answer is legacy's answer, byte for byte, except for what
 * a proxy may legitimately change (hop-by-hop headers, `date`, the rate-limit countdown, legacy's origin rewritten to
 * the gateway's).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { expect } from 'vitest';
import { type Simulator, startSimulator } from '../../legacy-adapters/simulator/server.js';
import { type ConfigInput, loadConfig } from '../../src/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway.js';

/** The one migrated route, kept off: with it, every request must reach legacy. */
const FLAGS_OFF = {
  version: 2,
  features: [{ name: 'gw.tickets.get.serve', enabled: false, strategies: [] }],
  segments: [],
};

export interface Pair {
  sim: Simulator;
  gw: RunningGateway;
  close(): Promise<void>;
}

/** Starts a simulator, or uses `sim`; then a gateway in front of it. `close()` closes what it started. */
export async function startPair(overrides: ConfigInput = {}, sim?: Simulator): Promise<Pair> {
  const ownSim = sim === undefined;
  const legacy = sim ?? (await startSimulator({ port: 0, host: '127.0.0.1' }));
  const dir = await mkdtemp(join(tmpdir(), 'gw-transparency-'));
  const flagsFile = join(dir, 'flags.json');
  await writeFile(flagsFile, JSON.stringify(FLAGS_OFF));
  const config = loadConfig({
    env: {},
    overrides: {
      ...overrides,
      port: 0,
      adminPort: 0,
      legacy: { ...overrides.legacy, url: legacy.url },
      log: { level: 'silent', access: false },
      flags: { file: flagsFile },
    },
  });
  const gw = await startGateway(config);
  return {
    sim: legacy,
    gw,
    async close() {
      await gw.close();
      if (ownSim) await legacy.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Req {
  method?: string;
  path: string;
  /** Flat raw list: name, value, name, value… (order and repeats kept). */
  headers?: string[];
  body?: Buffer | string;
}

export interface Reply {
  status: number;
  /** Lower-case name → values in arrival order. */
  headers: Map<string, string[]>;
  body: Buffer;
}

/** One request on a fresh connection pool (no keep-alive state shared between calls). */
export async function send(origin: string, req: Req): Promise<Reply> {
  const agent = new Agent();
  try {
    const res = await request(`${origin}${req.path}`, {
      dispatcher: agent,
      method: (req.method ?? 'GET') as 'GET',
      headers: req.headers ?? [],
      ...(req.body === undefined ? {} : { body: req.body }),
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const headers = new Map<string, string[]>();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue;
      headers.set(name.toLowerCase(), Array.isArray(value) ? value : [value]);
    }
    return { status: res.statusCode, headers, body };
  } finally {
    await agent.close();
  }
}

export function header(reply: Reply, name: string): string | undefined {
  return reply.headers.get(name.toLowerCase())?.join(', ');
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** Headers a proxy owns per connection (or that change per response) and that are never compared. */
const DROPPED = new Set(['date', 'keep-alive', 'connection', 'transfer-encoding']);
/** Counts down per request on legacy: only its presence is compared. */
const PRESENCE_ONLY = new Set(['x-rate-limit-remaining']);

function isJson(contentType: string | undefined): boolean {
  const ct = (contentType ?? '').toLowerCase();
  return ct.includes('/json') || ct.includes('+json');
}

export interface Normalised {
  status: number;
  headers: Record<string, string>;
  /** The decoded body (gzip undone) with legacy's origin replaced, as latin1 text for readable diffs, or its digest. */
  body: string;
}

/**
 * Normalises a reply for comparison. `from → to` replaces legacy's origin (direct replies only): in every header
 * value and, for JSON, in the body; Content-Length is then the length the gateway should send. A gzip body is
 * compared decoded; its Content-Length must match the bytes actually received, on either side.
 */
export function normalise(
  reply: Reply,
  origins?: { from: string; to: string },
  ignore: readonly string[] = [],
): Normalised {
  const headers: Record<string, string> = {};
  const encoding = header(reply, 'content-encoding');
  let body = reply.body;
  if (encoding === 'gzip' && body.length > 0) {
    expect(Number(header(reply, 'content-length') ?? body.length), 'content-length of a gzip body').toBe(body.length);
    body = gunzipSync(body);
  }
  const json = isJson(header(reply, 'content-type'));
  if (origins && json && body.includes(origins.from)) {
    body = Buffer.from(body.toString('latin1').replaceAll(origins.from, origins.to), 'latin1');
  }
  for (const [name, values] of [...reply.headers].sort(([a], [b]) => a.localeCompare(b))) {
    if (DROPPED.has(name) || ignore.includes(name)) continue;
    let value = values.join('\n');
    if (PRESENCE_ONLY.has(name)) value = '<present>';
    else if (origins) value = value.replaceAll(origins.from, origins.to);
    if (name === 'content-length') {
      // Gzip: checked against the received bytes above. Identity: the length of the (rewritten) body.
      if (encoding === 'gzip') continue;
      if (origins && reply.body.length > 0) value = String(body.length);
    }
    headers[name] = value;
  }
  const text = body.length <= 256 * 1024 ? body.toString('latin1') : `sha256:${sha256(body)} bytes:${body.length}`;
  return { status: reply.status, headers, body: text };
}

export interface CompareOptions {
  /** Runs before each of the two requests (e.g. `sim.reset()` so writes start from the same state). */
  before?: () => void | Promise<void>;
  /** Header names (lower-case) left out of the comparison on both sides. */
  ignoreHeaders?: readonly string[];
}

/**
 * Sends `req` to legacy directly, then through the gateway, and asserts the same status, headers and body after
 * normalisation. Returns both raw replies for further assertions.
 */
export async function expectTransparent(
  pair: Pair,
  req: Req,
  opts: CompareOptions = {},
): Promise<{ direct: Reply; viaGateway: Reply }> {
  await opts.before?.();
  const direct = await send(pair.sim.url, req);
  await opts.before?.();
  const viaGateway = await send(pair.gw.publicUrl, req);
  const ignore = opts.ignoreHeaders ?? [];
  const expected = normalise(direct, { from: pair.sim.url, to: pair.gw.publicUrl }, ignore);
  const actual = normalise(viaGateway, undefined, ignore);
  expect(actual, `${req.method ?? 'GET'} ${req.path}`).toEqual(expected);
  return { direct, viaGateway };
}

/** Waits for a condition checked every few ms (state held by another server), failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
