import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible upstream on 127.0.0.1 port 0, for tests and benchmarks.
 *
 * Serves `POST /v1/chat/completions`, streaming (SSE chunks; usage in a final chunk when
 * `stream_options.include_usage` is set) and non-streaming, with tool calls, reasoning text
 * (`reasoning_content`, as vLLM and DeepSeek send it) and logprobs when a behaviour asks for them.
 * Request fields (`tools`, `response_format`, `reasoning_effort`...) are recorded as sent, for tests to check. What each request does is controllable:
 * `fake.script(b1, b2, ...)` queues behaviours taken one per request (then `fake.defaultBehaviour`),
 * or `fake.behaviourFor = (body) => ...` decides per request. Every request is recorded in
 * `fake.requests`, with `aborted` set when the client closed the connection before the answer ended.
 * Other routes (GET /v1/responses/:id, batches...) can be added with `fake.route(method, pattern, handler)`.
 */

export interface Behaviour {
  /** The content pieces to stream, one chunk each. Default: `tokenCount` tokens "t0 ", "t1 ", ... */
  tokens?: string[];
  /** Used when `tokens` is not given. Default 5 (0 with `toolCalls`). */
  tokenCount?: number;
  /** Makes token i at the moment it is written (e.g. a timestamp, for latency measurements); overrides `tokens`. */
  tokenAt?: (i: number) => string;
  /** Delay before each token, in ms. Default 0. */
  delayMs?: number;
  /** Answer with this HTTP status (429, 500, ...) instead of a completion. */
  failStatus?: number;
  /** Stop after this many tokens and wait until `fake.release()` is called (or the client aborts). */
  pauseAfter?: number;
  /** Never answer (after the headers, when streaming) until the client aborts. */
  hang?: boolean;
  /** Usage to report; default: prompt_tokens = words in the messages, completion_tokens = tokens sent. */
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details?: { cached_tokens: number };
    completion_tokens_details?: { reasoning_tokens: number };
  };
  /** Report no usage at all, even when asked with stream_options.include_usage. */
  noUsage?: boolean;
  /** finish_reason of the last chunk. Default "stop" ("tool_calls" with toolCalls). */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Reasoning text streamed before the content, in `delta.reasoning_content` (as vLLM and DeepSeek do). */
  reasoning?: string[];
  /** Tool calls to make after the content; each call's arguments are streamed in two pieces. */
  toolCalls?: Array<{ name: string; arguments: string; id?: string }>;
  /** Logprobs for every content chunk (token = the chunk). */
  logprobs?: boolean;
}

export interface ChatBody {
  model: string;
  messages: Array<{ role: string; content: unknown; [key: string]: unknown }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: ChatBody | null;
  /** Tokens actually written to the client. */
  tokensSent: number;
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
  finished: boolean;
  /** Waiting for `fake.release()` (see Behaviour.pauseAfter). */
  paused: boolean;
}

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  match: RegExpMatchArray,
) => void | Promise<void>;

export interface FakeOpenAI {
  /** Base URL including /v1, ready for `new OpenAI({ baseURL })`. */
  readonly baseURL: string;
  readonly requests: RecordedRequest[];
  defaultBehaviour: Behaviour;
  behaviourFor: ((body: ChatBody, index: number) => Behaviour | undefined) | null;
  /** Queues behaviours, each used by one upcoming chat completion request. */
  script(...behaviours: Behaviour[]): void;
  /** Lets every request paused by `pauseAfter` continue. */
  release(): void;
  route(method: string, pattern: RegExp, handler: RouteHandler): void;
  close(): Promise<void>;
}

export function tokensOf(behaviour: Behaviour): string[] {
  const count = behaviour.tokenCount ?? (behaviour.toolCalls ? 0 : 5);
  return behaviour.tokens ?? Array.from({ length: count }, (_, i) => `t${i} `);
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const queued: Behaviour[] = [];
  const routes: Array<{ method: string; pattern: RegExp; handler: RouteHandler }> = [];
  let releases: Array<() => void> = [];
  const fake: FakeOpenAI = {
    baseURL: '',
    requests: [],
    defaultBehaviour: {},
    behaviourFor: null,
    script: (...behaviours) => void queued.push(...behaviours),
    release() {
      const waiting = releases;
      releases = [];
      for (const resolve of waiting) resolve();
    },
    route: (method, pattern, handler) => void routes.push({ method, pattern, handler }),
    close: () => closeServer(server),
  };
  const pick = (body: ChatBody, index: number) => queued.shift() ?? fake.behaviourFor?.(body, index) ?? fake.defaultBehaviour;
  const waitForRelease = () => new Promise<void>((resolve) => releases.push(resolve));

  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as ChatBody) : null;
    const record: RecordedRequest = {
      index: fake.requests.length,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      tokensSent: 0,
      aborted: false,
      finished: false,
      paused: false,
    };
    fake.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
    });
    res.on('finish', () => {
      record.finished = true;
    });
    for (const r of routes) {
      const match = record.path.match(r.pattern);
      if (match && r.method === record.method) return r.handler(req, res, body, match);
    }
    if (record.method !== 'POST' || !record.path.startsWith('/v1/chat/completions') || !body) {
      return sendJson(res, 404, { error: { message: 'not found', type: 'invalid_request_error' } });
    }
    const behaviour = pick(body, record.index);
    if (behaviour.failStatus) {
      return sendJson(res, behaviour.failStatus, {
        error: { message: `fake failure ${behaviour.failStatus}`, type: 'server_error' },
      });
    }
    const completion = { body, behaviour, record, res, waitForRelease };
    if (body.stream) await streamCompletion(completion);
    else await answerCompletion(completion);
  });
  // A deep backlog: benchmarks open a thousand connections at once.
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;
  (fake as { baseURL: string }).baseURL = `http://127.0.0.1:${port}/v1`;
  return fake;
}

interface Completion {
  body: ChatBody;
  behaviour: Behaviour;
  record: RecordedRequest;
  res: ServerResponse;
  waitForRelease: () => Promise<void>;
}

const closed = (res: ServerResponse) => new Promise<void>((resolve) => res.once('close', () => resolve()));
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Emits the tokens one by one; returns false when the client went away (or the request hangs). */
async function emitTokens(c: Completion, write: (token: string) => void): Promise<boolean> {
  const tokens = tokensOf(c.behaviour);
  const gone = closed(c.res).then(() => false as const);
  if (c.behaviour.hang) {
    await gone;
    return false;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (c.behaviour.pauseAfter === i) {
      c.record.paused = true;
      const released = await Promise.race([c.waitForRelease().then(() => true), gone]);
      c.record.paused = false;
      if (!released) return false;
    }
    if (c.behaviour.delayMs && !(await Promise.race([delay(c.behaviour.delayMs).then(() => true), gone]))) return false;
    if (c.res.destroyed) return false;
    write(c.behaviour.tokenAt ? c.behaviour.tokenAt(i) : (tokens[i] as string));
    c.record.tokensSent++;
  }
  return true;
}

function usageOf(c: Completion) {
  const usage = c.behaviour.usage ?? { prompt_tokens: promptWords(c.body), completion_tokens: c.record.tokensSent };
  return { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

async function streamCompletion(c: Completion): Promise<void> {
  const id = `chatcmpl-${c.record.index}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish: string | null, extra: object = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: c.body.model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  c.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  c.res.write(chunk({ role: 'assistant', content: '' }, null));
  for (const piece of c.behaviour.reasoning ?? []) c.res.write(chunk({ reasoning_content: piece }, null));
  const logprobs = (token: string) =>
    c.behaviour.logprobs
      ? { logprobs: { content: [{ token, logprob: -0.5, bytes: [...Buffer.from(token)], top_logprobs: [] }] } }
      : {};
  const complete = await emitTokens(c, (token) =>
    c.res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: c.body.model, choices: [{ index: 0, delta: { content: token }, finish_reason: null, ...logprobs(token) }] })}\n\n`,
    ),
  );
  if (!complete) return;
  (c.behaviour.toolCalls ?? []).forEach((call, index) => {
    const half = Math.ceil(call.arguments.length / 2);
    const callId = call.id ?? `call_${c.record.index}_${index}`;
    const first = {
      index,
      id: callId,
      type: 'function',
      function: { name: call.name, arguments: call.arguments.slice(0, half) },
    };
    c.res.write(chunk({ tool_calls: [first] }, null));
    c.res.write(chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] }, null));
  });
  c.res.write(chunk({}, finishReasonOf(c.behaviour)));
  if (c.body.stream_options?.include_usage && !c.behaviour.noUsage) {
    c.res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: c.body.model, choices: [], usage: usageOf(c) })}\n\n`,
    );
  }
  c.res.end('data: [DONE]\n\n');
}

async function answerCompletion(c: Completion): Promise<void> {
  let content = '';
  const complete = await emitTokens(c, (token) => {
    content += token;
  });
  if (!complete) return;
  sendJson(c.res, 200, {
    id: `chatcmpl-${c.record.index}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: c.body.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: content || (c.behaviour.toolCalls ? null : ''),
          ...(c.behaviour.reasoning && { reasoning_content: c.behaviour.reasoning.join('') }),
          ...(c.behaviour.toolCalls && {
            tool_calls: c.behaviour.toolCalls.map((call, index) => ({
              id: call.id ?? `call_${c.record.index}_${index}`,
              type: 'function',
              function: { name: call.name, arguments: call.arguments },
            })),
          }),
        },
        finish_reason: finishReasonOf(c.behaviour),
      },
    ],
    ...(!c.behaviour.noUsage && { usage: usageOf(c) }),
  });
}

function finishReasonOf(b: Behaviour): string {
  return b.finishReason ?? (b.toolCalls ? 'tool_calls' : 'stop');
}

function promptWords(body: ChatBody): number {
  let words = 0;
  for (const m of body.messages ?? []) {
    const text = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
    words += text.split(/\s+/).filter(Boolean).length;
  }
  return words;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
