import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { getTicket } from '../../routes/tickets-get.js';
import type { NewHandler } from '../../routes/types.js';

/**
 * Shadow noise and real differences for the tests that need both (noise learning end to end, the admin console).
 */

export interface StampingLegacy {
  /** Origin to use as the gateway's legacy URL. */
  url: string;
  close(): Promise<void>;
}

/**
 * A legacy in front of `target` (a simulator) that stamps `updated_at` anew on every ticket answer, an hour later each
 * time, as many legacy systems do: two legacy answers for one ticket differ only there. Reads only: every request is
 * forwarded as a GET.
 */
export async function startStampingLegacy(target: string): Promise<StampingLegacy> {
  let seq = 0;
  const server = createServer(async (req, res) => {
    const r = await request(`${target}${req.url}`, { method: 'GET', headers: { accept: 'application/json' } });
    let body = await r.body.text();
    try {
      const json = JSON.parse(body) as { ticket?: Record<string, unknown> };
      if (json.ticket) {
        seq++;
        json.ticket.updated_at = new Date(Date.UTC(2025, 0, 1) + seq * 3_600_000).toISOString().replace('.000', '');
        body = JSON.stringify(json);
      }
    } catch {
      // not JSON: passed on as it is
    }
    res.writeHead(r.statusCode, { 'content-type': 'application/json; charset=utf-8' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** tickets.get's new path, but for tickets ≥ 100 the subject gets " (new)" appended: a real difference. */
export const alteredSubject: NewHandler = async (req, ctx) => {
  const answer = await getTicket(req, ctx);
  if (Number(req.params.id) < 100) return answer;
  const json = JSON.parse(String(answer.body)) as { ticket: { subject: string } };
  json.ticket.subject = `${json.ticket.subject} (new)`;
  return { ...answer, body: JSON.stringify(json) };
};
