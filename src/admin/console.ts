import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The admin web console: one static page (HTML, CSS, vanilla JS modules; no build step, no external URL) served on
 * the admin port at `/console`. The page holds no secret and no data: it asks for a token and calls the admin API
 * with it, so the API's role checks stay the only gate.
 */

/** Strict: scripts, styles and fetches from this origin only; nothing inline, no framing, no plugins. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONSOLE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const ASSET_DIR = join('src', 'admin', 'console');

/**
 * Where the console's files are. tsc does not copy them to dist/, so they are looked up as `src/admin/console`
 * under the package root, found by walking up from this module (src/admin/ under vitest, dist/src/admin/ compiled).
 */
export function consoleAssetDir(from: string = import.meta.dirname): string | null {
  let dir = resolve(from);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, ASSET_DIR, 'index.html'))) {
      return join(dir, ASSET_DIR);
    }
    dir = dirname(dir);
  }
  return null;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Reads every servable file once, at registration: requests never touch the disk. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type || !/^[a-z0-9][a-z0-9.-]*$/.test(name)) continue;
    const body = readFileSync(join(dir, name));
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return assets;
}

export interface ConsoleOptions {
  /** Asset directory; default: found from the package root (consoleAssetDir). */
  dir?: string;
}

/** `GET /console` (the page) and `GET /console/<file>` (its scripts, styles, icon). */
export function registerConsole(app: FastifyInstance, opts: ConsoleOptions = {}): void {
  const dir = opts.dir ?? consoleAssetDir();
  const assets = dir ? loadAssets(dir) : new Map<string, Asset>();
  const send = (reply: FastifyReply, name: string) => {
    const asset = assets.get(name);
    // Missing files (or a deployment without src/admin/console) get the admin app's problem+json 404.
    if (!asset) {
      reply.callNotFound();
      return reply;
    }
    return reply.headers(CONSOLE_HEADERS).header('etag', asset.etag).type(asset.type).send(asset.body);
  };

  app.get('/console', async (_req, reply) => send(reply, 'index.html'));
  // Relative, so the console also works behind a reverse proxy that mounts the admin port under a prefix.
  app.get('/console/', async (_req, reply) => reply.redirect('../console', 301));
  app.get<{ Params: { file: string } }>('/console/:file', async (req, reply) =>
    // The page's relative asset URLs only resolve from /console itself.
    req.params.file === 'index.html' ? reply.redirect('../console', 301) : send(reply, req.params.file),
  );
}
