import type { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { DEFAULT_MAX_BODY_BYTES, type HttpClient } from '../../plugins/sdk.ts';
import type { DestinationPolicy } from '../outbound/destination-policy.ts';
import { guardedDispatcher } from '../outbound/guarded-dispatcher.ts';

// The step context's buffered HTTP client (`ctx.http`), in two implementations with the same contract
// (test/workflows/http-client.test.ts): undici's request API, which the relay uses, and one over a
// fetch (plugins/sdk.ts), used when a fetch is injected (tests, embedding). Measured on a local POST, fetch spends about
// 220 µs of CPU per request (a Request, Headers and web streams made and dropped each time), node:http
// about 75 µs and undici's request about 50 µs; a step that wants the whole answer needs none of fetch's
// streaming.

/** Silence for this long (no headers, or no next body chunk) fails the request: fetch's own default. */
export const IDLE_TIMEOUT_MS = 300_000;
/** Connections per origin; requests beyond it queue. */
export const CONNECTIONS_PER_ORIGIN = 256;
const DEFAULT_HEADERS = { accept: '*/*', 'user-agent': 'hookrelay' };

export interface ClosableHttpClient extends HttpClient {
  /** Closes the keep-alive connections (and any request still open). */
  close(): Promise<void>;
}

/** With a policy, every connection is checked against it (the relay always passes its own). */
export function undiciHttpClient(policy?: DestinationPolicy): ClosableHttpClient {
  const options = { connections: CONNECTIONS_PER_ORIGIN, headersTimeout: IDLE_TIMEOUT_MS, bodyTimeout: IDLE_TIMEOUT_MS };
  const dispatcher = policy ? guardedDispatcher(policy, options) : new Agent(options);
  return {
    async send(req) {
      try {
        // undici parses the URL once and refuses schemes other than http: and https:. No redirect
        // handling is configured: a 3xx is returned as it is.
        const res = await request(req.url, {
          dispatcher,
          method: req.method as 'GET',
          headers: { ...DEFAULT_HEADERS, ...req.headers },
          body: req.body,
          signal: req.signal,
        });
        const { text, truncated } = await readBody(res.body, req.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
        return { status: res.statusCode, headers: joined(res.headers), body: text, truncated };
      } catch (error) {
        // Aborted: the signal's reason (the step's timeout or cancellation) says why, as with fetch.
        throw req.signal?.aborted ? req.signal.reason : error;
      }
    },
    close: () => dispatcher.destroy(),
  };
}

function readBody(body: Readable, limit: number): Promise<{ text: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (truncated: boolean) => {
      const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      resolve({ text: bytes.toString('utf8'), truncated });
    };
    body.on('data', (chunk: Buffer) => {
      if (size + chunk.length <= limit) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      // The rest is not read: the connection is closed rather than drained.
      body.removeAllListeners('data');
      body.destroy();
      done(true);
    });
    body.on('end', () => done(false));
    body.on('error', reject);
  });
}

/** Lower-case names (as undici gives them); a repeated header's values joined with `, ` (set-cookie too). */
function joined(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) out[name] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}
