// A stand-in for the `this` n8n gives a trigger's hooks and webhook function: parameters, static
// data, the credential, and httpRequestWithAuthentication done with fetch against a real relay.
import type { IncomingHttpHeaders } from 'node:http';

export interface RequestOptions {
  method: string;
  url: string;
  qs?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string>;
  json?: boolean;
  returnFullResponse?: boolean;
  ignoreHttpStatusErrors?: boolean;
  encoding?: string;
}

export interface StubOptions {
  relayUrl: string;
  apiKey: string;
  webhookUrl: string;
  parameters?: Record<string, unknown>;
  staticData?: Record<string, unknown>;
  workflowId?: string;
  nodeId?: string;
}

export interface StubResponse {
  statusCode: number | null;
  body: unknown;
}

/** The hook context plus what a webhook call needs (request, response recorder). */
export function n8nContext(options: StubOptions, request?: { headers: IncomingHttpHeaders; rawBody: Buffer }) {
  const staticData = options.staticData ?? {};
  const parameters: Record<string, unknown> = {
    sources: '',
    types: '',
    ack: 'receipt',
    onDeactivate: 'pause',
    options: {},
    ...options.parameters,
  };
  const response: StubResponse = { statusCode: null, body: undefined };
  return {
    staticData,
    response,
    getWorkflowStaticData: () => staticData,
    getNodeParameter: (name: string, fallback?: unknown) => parameters[name] ?? fallback,
    getNodeWebhookUrl: () => options.webhookUrl,
    getWorkflow: () => ({ id: options.workflowId ?? 'wf1', name: 'test workflow', active: true }),
    getNode: () => ({ id: options.nodeId ?? 'node-1', name: 'Hookrelay Trigger', type: 'n8n-nodes-hookrelay.hookrelayTrigger' }),
    getCredentials: async () => ({ baseUrl: `${options.relayUrl}/`, apiKey: options.apiKey }),
    getRequestObject: () => request,
    getHeaderData: () => request?.headers ?? {},
    getResponseObject: () => ({
      status(code: number) {
        response.statusCode = code;
        return this;
      },
      json(body: unknown) {
        response.body = body;
        return this;
      },
    }),
    helpers: {
      async httpRequestWithAuthentication(_credential: string, req: RequestOptions) {
        const url = new URL(req.url);
        for (const [k, v] of Object.entries(req.qs ?? {})) url.searchParams.set(k, String(v));
        const res = await fetch(url, {
          method: req.method,
          headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json', ...req.headers },
          body:
            req.body === undefined
              ? undefined
              : Buffer.isBuffer(req.body)
                ? (req.body as unknown as BodyInit)
                : JSON.stringify(req.body),
        });
        if (req.encoding === 'arraybuffer') {
          const bytes = await res.arrayBuffer();
          return { statusCode: res.status, body: bytes, headers: Object.fromEntries(res.headers) };
        }
        const text = await res.text();
        const body = req.json === false ? text : text ? JSON.parse(text) : {};
        if (!res.ok && !req.ignoreHttpStatusErrors)
          throw Object.assign(new Error(`HTTP ${res.status}`), { httpCode: String(res.status), body });
        return req.returnFullResponse ? { statusCode: res.status, body } : body;
      },
    },
  };
}
