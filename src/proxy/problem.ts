import type { ServerResponse } from 'node:http';
import { type GatewayError, PROBLEM_CONTENT_TYPE, toProblem } from '../errors.js';

/** Sends a gateway error as application/problem+json, or destroys the response if headers already went out. */
export function sendProblem(res: ServerResponse, err: GatewayError, requestId: string): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  if (res.destroyed) return;
  const body = JSON.stringify(toProblem(err, requestId));
  res.writeHead(err.statusCode, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
