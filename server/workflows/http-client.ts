import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { HttpClient, HttpRequest, HttpResponse } from '../../plugins/sdk.ts';

// The step context's buffered HTTP client (`ctx.http`), in two implementations with the same contract
// (test/workflows/http-client.test.ts): node:http with keep-alive agents, which the relay uses, and one
// over a fetch, used when a fetch is injected (tests, embedding). A POST through node:http costs about a
// third of the CPU of the same POST through fetch, whose Request, Headers and web streams are made and
// dropped per request; a step that wants the whole answer at once needs none of them.

export const DEFAULT_MAX_BODY_BYTES = 1_000_000;
/** Silence for this long (no headers, or no next body chunk) fails the request, as fetch's own default. */
export const IDLE_TIMEOUT_MS = 300_000;
/** Connections per origin; requests beyond it queue in the agent. */
export const SOCKETS_PER_ORIGIN = 256;
const DEFAULT_HEADERS = { accept: '*/*', 'user-agent': 'hookrelay' };

export interface ClosableHttpClient extends HttpClient {
  /** Closes the idle keep-alive connections. */
  close(): void;
}

export function nodeHttpClient(): ClosableHttpClient {
  const options = { keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN, scheduling: 'lifo' as const };
  const http = new HttpAgent(options);
  const https = new HttpsAgent(options);
  return {
    send(req) {
      const url = new URL(req.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return Promise.reject(new Error(`${req.url}: only http: and https: URLs can be requested`));
      const secure = url.protocol === 'https:';
      return exchange(secure ? httpsRequest : httpRequest, url, secure ? https : http, req);
    },
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

function exchange(send: typeof httpRequest, url: URL, agent: HttpAgent, req: HttpRequest): Promise<HttpResponse> {
  const limit = req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return new Promise((resolve, reject) => {
    // Node sets content-length itself for a body given whole to end().
    const out = send(
      url,
      { method: req.method, headers: { ...DEFAULT_HEADERS, ...req.headers }, agent, signal: req.signal },
      (res) => readBody(res, limit, req.signal).then(resolve, reject),
    );
    out.setTimeout(IDLE_TIMEOUT_MS, () => out.destroy(new Error(`${req.url}: no answer within ${IDLE_TIMEOUT_MS} ms`)));
    // Aborted: reject with the signal's reason, as fetch does (the step's timeout or cancellation says why).
    out.on('error', (error) => reject(req.signal?.aborted ? req.signal.reason : error));
    out.end(req.body);
  });
}

function readBody(res: IncomingMessage, limit: number, signal: AbortSignal | undefined): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (truncated: boolean) => {
      settled = true;
      const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      resolve({ status: res.statusCode ?? 0, headers: headersOf(res.rawHeaders), body: bytes.toString('utf8'), truncated });
    };
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (size + chunk.length <= limit) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      // The rest is not read: the connection is closed rather than drained.
      res.destroy();
      done(true);
    });
    res.on('end', () => {
      if (!settled) done(false);
    });
    res.on('close', () => {
      if (settled) return;
      settled = true;
      reject(signal?.aborted ? signal.reason : new Error('the connection closed before the response ended'));
    });
  });
}

/** Lower-case names; a repeated header's values joined with `, ` (set-cookie too). */
function headersOf(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    const value = raw[i + 1];
    headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
  }
  return headers;
}

/** The same contract over a fetch (one injected into the relay, or a test's). */
export function fetchHttpClient(fetchImpl: typeof fetch): HttpClient {
  return {
    async send(req) {
      const res = await fetchImpl(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body as BodyInit | undefined,
        signal: req.signal,
        redirect: 'manual',
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of res.headers)
        headers[name] = Object.hasOwn(headers, name) ? `${headers[name]}, ${value}` : value;
      const { text, truncated } = await readPrefix(res, req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      return { status: res.status, headers, body: text, truncated };
    },
  };
}

async function readPrefix(res: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      truncated = true;
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}
