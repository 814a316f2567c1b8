import type { IncomingMessage } from 'node:http';

/**
 * The gateway's public origin, which legacy's absolute URLs are rewritten to. From config (`publicUrl`) when set;
 * else from the Host header when it is one of `allowedHosts` (or the address the gateway listens on); never from an
 * arbitrary Host header, so a spoofed Host cannot steer rewritten links elsewhere.
 */
export function createPublicOrigin(opts: { publicUrl?: string | undefined; allowedHosts: readonly string[] }) {
  const fixed = opts.publicUrl ? new URL(opts.publicUrl).origin : null;
  const allowed = new Set(opts.allowedHosts.map((h) => h.toLowerCase()));
  let listenOrigin = 'http://127.0.0.1';
  // The last allowed Host and its origin: clients send the same Host again and again, and returning the same string
  // object lets the rewriter's per-origin cache find it without hashing a new string per request.
  let lastHost = '';
  let lastOrigin = '';
  return {
    resolve(req: IncomingMessage): string {
      if (fixed) return fixed;
      const host = req.headers.host;
      if (host === undefined) return listenOrigin;
      if (host === lastHost) return lastOrigin;
      if (!allowed.has(host.toLowerCase())) return listenOrigin;
      lastHost = host;
      lastOrigin = `http://${host}`;
      return lastOrigin;
    },
    /** Called once the public port is bound; the bound authority and its localhost aliases become allowed. */
    setListenAddress(host: string, port: number) {
      const h = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      listenOrigin = `http://${h}:${port}`;
      for (const alias of [`${h}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`]) allowed.add(alias);
    },
  };
}
