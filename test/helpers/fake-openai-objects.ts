import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible server on 127.0.0.1 port 0 for enrichment and batch tests:
 * GET /v1/responses/:id and /v1/batches/:id serve `objects`; POST /v1/responses and
 * /v1/chat/completions answer with an echo of the input (a 400 when the input contains "FAIL").
 * `hold()` parks every request until `release()`; `failures` makes the next N requests to a path answer 500.
 */
export interface FakeOpenAI {
  /** Base URL including /v1, as the SDK's baseURL. */
  baseURL: string;
  objects: Map<string, unknown>;
  /** path → how many more requests to that path answer 500 (with retry-after-ms: 1). */
  failures: Map<string, number>;
  /** Every request seen, in order. */
  requests: Array<{ method: string; path: string; body: unknown }>;
  /** How many requests are parked by hold(). */
  readonly parked: number;
  hold(): void;
  /** Lets the next `n` POSTs through, then parks the rest until release(). */
  holdAfter(n: number): void;
  release(): void;
  close(): Promise<void>;
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const objects = new Map<string, unknown>();
  const failures = new Map<string, number>();
  const requests: FakeOpenAI['requests'] = [];
  let gate: { promise: Promise<void>; open: () => void } | null = null;
  let parked = 0;
  let sequence = 0;
  let passes = Number.POSITIVE_INFINITY;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${++sequence}`, 'retry-after-ms': '1' });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, what: string) =>
    send(res, 404, { error: { message: `No such object: ${what}`, type: 'invalid_request_error', param: null, code: null } });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0];
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    requests.push({ method: req.method ?? '', path, body });
    const failing = failures.get(path) ?? 0;
    if (failing > 0) {
      failures.set(path, failing - 1);
      return send(res, 500, { error: { message: 'try again', type: 'server_error', param: null, code: null } });
    }
    if (req.method === 'POST' && passes !== Number.POSITIVE_INFINITY && passes-- <= 0) api.hold();
    if (gate) {
      parked++;
      await gate.promise;
      parked--;
    }
    const get = /^\/v1\/(responses|batches)\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && get) {
      return objects.has(get[2]) ? send(res, 200, objects.get(get[2])) : notFound(res, get[2]);
    }
    if (req.method === 'POST' && (path === '/v1/responses' || path === '/v1/chat/completions')) {
      const input = JSON.stringify(body?.input ?? body?.messages ?? '');
      if (input.includes('FAIL')) {
        return send(res, 400, {
          error: { message: 'This line asked to fail.', type: 'invalid_request_error', param: 'input', code: 'asked_to_fail' },
        });
      }
      return send(
        res,
        200,
        path === '/v1/responses' ? responseObject(++sequence, body, input) : chatObject(++sequence, body, input),
      );
    }
    notFound(res, path);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => send(res, 500, { error: { message: error.message, type: 'server_error' } }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const api: FakeOpenAI = {
    baseURL: `http://127.0.0.1:${port}/v1`,
    objects,
    failures,
    requests,
    get parked() {
      return parked;
    },
    hold() {
      if (gate) return;
      let open = () => {};
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    holdAfter(n) {
      passes = n;
    },
    release() {
      passes = Number.POSITIVE_INFINITY;
      gate?.open();
      gate = null;
    },
    async close() {
      gate?.open();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

function responseObject(n: number, body: Record<string, unknown> | null, input: string) {
  return {
    id: `resp_fake_${n}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: body?.model ?? 'fake',
    output: [
      {
        type: 'message',
        id: `msg_fake_${n}`,
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: `echo: ${input}`, annotations: [] }],
      },
    ],
    usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
  };
}

function chatObject(n: number, body: Record<string, unknown> | null, input: string) {
  return {
    id: `chatcmpl_fake_${n}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? 'fake',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: `echo: ${input}` } }],
    usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
  };
}
