import type { ServerResponse } from 'node:http';
import { type GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js';

/**
 * Sends a gateway error as application/problem+json, or destroys the response if headers already went out. `extra`:
 * flat name/value pairs added to it (the decision headers, when exposed).
 */
export function sendProblem(res: ServerResponse, err: GatewayError, requestId: string, extra?: string[]): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  if (res.destroyed) return;
  const body = JSON.stringify(toProblem(err, requestId));
  if (extra) for (let i = 0; i + 1 < extra.length; i += 2) res.setHeader(extra[i] as string, extra[i + 1] as string);
  res.writeHead(err.statusCode, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
