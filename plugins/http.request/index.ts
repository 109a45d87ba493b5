import { definePlugin } from '../sdk.ts';

interface HttpParams {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
  /** Statuses that count as success; default any 2xx. */
  expect?: number[];
}

const MAX_BODY_BYTES = 1_000_000;

/** An HTTP request through the relay's client (destination policy applied); fails on an unexpected status. */
export default definePlugin<HttpParams>({
  name: 'http.request',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Sends an HTTP request; output is {status, headers, body} (JSON bodies parsed).',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['url'],
    properties: {
      method: { type: 'string', pattern: '^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|\\{\\{.*\\}\\})$' },
      url: { type: 'string', minLength: 1 },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      json: {},
      body: { type: 'string' },
      expect: { type: 'array', items: { type: 'integer', minimum: 100, maximum: 599 }, minItems: 1 },
    },
  },
  async run(ctx, params) {
    const headers: Record<string, string> = { ...params.headers };
    let body: string | undefined = params.body;
    if (params.json !== undefined) {
      body = JSON.stringify(params.json);
      if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    }
    const method = (params.method ?? (body === undefined ? 'GET' : 'POST')).toUpperCase();
    const res = await ctx.http.send({ method, url: params.url, headers, body, signal: ctx.signal, maxBodyBytes: MAX_BODY_BYTES });
    const ok = params.expect ? params.expect.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) throw new Error(`${method} ${params.url} answered ${res.status}: ${res.body.slice(0, 200)}`);
    return { status: res.status, headers: res.headers, body: parseBody(res.body, res.headers['content-type']) };
  },
});

function hasHeader(headers: Record<string, string>, name: string): boolean {
  for (const key in headers) if (key.toLowerCase() === name) return true;
  return false;
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (!contentType?.includes('json') || text === '') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
