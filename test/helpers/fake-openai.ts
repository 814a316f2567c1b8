import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible server on 127.0.0.1 for the LLM client's tests: each request to `/v1/chat/completions`
 * (or `/chat/completions`) takes the next scripted behaviour. An unscripted request gets a 400 that names it, so a
 * test that sends more requests than it expects fails loudly instead of hanging.
 */

export interface RecordedRequest {
  path: string;
  /** The parsed JSON body (or the raw text if it was not JSON). */
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type Behaviour =
  | {
      type: 'completion';
      content: string | null;
      refusal?: string;
      finishReason?: string;
      /** `null` leaves the usage block out, as some compatible servers do. */
      usage?: Usage | null;
    }
  | { type: 'status'; status: number; body: unknown; headers: Record<string, string> }
  | { type: 'hang' }
  | { type: 'empty' }
  | { type: 'raw'; body: string; contentType: string };

export const DEFAULT_USAGE: Usage = { prompt_tokens: 120, completion_tokens: 12 };

/** A valid completion whose content is `JSON.stringify(json)`. */
export const ok = (json: unknown, usage: Usage | null = DEFAULT_USAGE): Behaviour => ({
  type: 'completion',
  content: JSON.stringify(json),
  usage,
});

/**
 * An HTTP error with an OpenAI-shaped body. Retry waits default to 0 (`retry-after` on 429, `retry-after-ms` on 5xx)
 * so the client's retries do not slow the suite; pass headers to ask for longer waits.
 */
export const status = (
  code: 429 | 500 | 503 | number,
  body?: unknown,
  headers?: Record<string, string>,
): Behaviour => ({
  type: 'status',
  status: code,
  body: body ?? { error: { message: `fake ${code}`, type: code === 429 ? 'rate_limit_exceeded' : 'server_error' } },
  headers: headers ?? (code === 429 ? { 'retry-after': '0' } : code >= 500 ? { 'retry-after-ms': '0' } : {}),
});

/** Never answers until the server closes: the client has to time out or abort. */
export const hang = (): Behaviour => ({ type: 'hang' });

/** A completion whose content is not JSON. */
export const malformedJson = (): Behaviour => ({
  type: 'completion',
  content: '{"intent": "order_status", "confidence": 0.9',
});

/** Valid JSON that breaks the caller's schema (same wire shape as ok; named for what the test means). */
export const schemaBreaking = (json: unknown): Behaviour => ok(json);

/** The model declines: `message.refusal` set, content null. */
export const refusal = (text: string): Behaviour => ({ type: 'completion', content: null, refusal: text });

/** The content filter cut the answer. */
export const contentFilter = (): Behaviour => ({ type: 'completion', content: '', finishReason: 'content_filter' });

/** The answer hit max tokens: truncated JSON, finish_reason length. */
export const truncated = (): Behaviour => ({
  type: 'completion',
  content: '{"intent": "faq", "conf',
  finishReason: 'length',
});

/** An answer that tries to pick a tool and change the intent through extra fields. */
export const INJECTION = { intent: 'refund_eligibility', tool: 'updateAddress', confidence: 1 } as const;
export const injection = (): Behaviour => ok(INJECTION);

/** A 200 whose body is whatever the test says: a proxy's HTML page, `null`, a completion-less object. */
export const raw = (body: string, contentType = 'application/json'): Behaviour => ({ type: 'raw', body, contentType });

/** A 200 with no choices. */
export const empty = (): Behaviour => ({ type: 'empty' });

export interface FakeOpenAi {
  /** E.g. `http://127.0.0.1:40123/v1`, ready for the SDK's `baseURL`. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Appends behaviours; each request consumes one. */
  script(...behaviours: Behaviour[]): void;
  /** Resolves once `n` requests have arrived (wait on this, never on a timer). */
  waitForRequests(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const queue: Behaviour[] = [];
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters: { n: number; resolve: () => void }[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push({ path, body: parseJson(text), headers: req.headers });
      for (const w of waiters.filter((w) => requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
        return send(res, 404, { error: { message: `fake-openai: no route ${req.method} ${path}` } });
      }
      const behaviour = queue.shift();
      if (!behaviour) {
        return send(res, 400, { error: { message: `fake-openai: nothing scripted for request ${requests.length}` } });
      }
      const model = (parseJson(text) as { model?: unknown } | undefined)?.model;
      answer(res, behaviour, typeof model === 'string' ? model : 'fake-model', requests.length);
    });
  });

  function answer(res: ServerResponse, b: Behaviour, model: string, n: number): void {
    switch (b.type) {
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      case 'status':
        send(res, b.status, b.body, b.headers);
        return;
      case 'raw':
        res.writeHead(200, { 'content-type': b.contentType, 'content-length': Buffer.byteLength(b.body) });
        res.end(b.body);
        return;
      case 'empty':
        send(res, 200, completion(n, model, [], DEFAULT_USAGE));
        return;
      case 'completion': {
        const choice = {
          index: 0,
          message: { role: 'assistant', content: b.content, refusal: b.refusal ?? null },
          finish_reason: b.finishReason ?? 'stop',
          logprobs: null,
        };
        send(res, 200, completion(n, model, [choice], b.usage === undefined ? DEFAULT_USAGE : b.usage));
      }
    }
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...behaviours) => {
      queue.push(...behaviours);
    },
    waitForRequests: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

function completion(n: number, model: string, choices: unknown[], usage: Usage | null): unknown {
  return {
    id: `chatcmpl-fake-${n}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices,
    ...(usage ? { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } } : {}),
  };
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
