import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible endpoint for steady load: unlike test/helpers/fake-openai.ts (one scripted behaviour per
 * request), it answers every request according to the current mode, so a fault can be switched on and off mid-run.
 * `ok` answers the two structured prompts the gateway sends: intent classification (order wording → order_status,
 * else faq, confidence 1: sure even at `ai.confidenceThreshold: 1`) and FAQ answers (grounded in the first article the prompt lists).
 */
export type LlmMode = 'ok' | '429' | '500' | 'hang';

export interface ModeLlm {
  baseUrl: string;
  setMode(mode: LlmMode): void;
  /** Requests received per mode. */
  calls: Record<LlmMode, number>;
  close(): Promise<void>;
}

export async function startModeLlm(): Promise<ModeLlm> {
  let mode: LlmMode = 'ok';
  const calls: Record<LlmMode, number> = { ok: 0, '429': 0, '500': 0, hang: 0 };
  const hanging = new Set<ServerResponse>();
  let seq = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls[mode]++;
      if (mode === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (mode === '429') return send(res, 429, { error: { message: 'rate limited', type: 'rate_limit_exceeded' } });
      if (mode === '500') return send(res, 500, { error: { message: 'upstream exploded', type: 'server_error' } });
      let body: {
        model?: string;
        messages?: { role: string; content: unknown }[];
        response_format?: { json_schema?: { name?: string } };
      };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(res, 400, { error: { message: 'fake-llm: body is not JSON' } });
      }
      const user = (body.messages ?? [])
        .filter((m) => m.role === 'user')
        .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
        .join('\n');
      const schema = body.response_format?.json_schema?.name;
      let content: unknown;
      if (schema === 'intent_classification') {
        content = { intent: /order/i.test(user) ? 'order_status' : 'faq', confidence: 1 };
      } else if (schema === 'faq_answer') {
        const id = /^\[([\w.-]+)\] /m.exec(user)?.[1];
        content = id
          ? { answered: true, answer: 'Our team is here for you; see the article for details.', articleIds: [id] }
          : { answered: false, answer: '', articleIds: [] };
      } else {
        return send(res, 400, { error: { message: `fake-llm: no answer for schema ${schema}` } });
      }
      seq++;
      send(res, 200, {
        id: `chatcmpl-chaos-${seq}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: body.model ?? 'fake',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: JSON.stringify(content), refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 },
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    setMode(m) {
      mode = m;
      if (m !== 'hang') for (const r of hanging) r.destroy();
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  // No waiting between the SDK's retries: the suite must stay fast.
  if (status === 429) headers['retry-after'] = '0';
  if (status >= 500) headers['retry-after-ms'] = '0';
  res.writeHead(status, headers);
  res.end(text);
}
