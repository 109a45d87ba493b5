import type { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';

// How one attempt's POST travels: undici's request API over the relay's guarded dispatcher (every
// connection checked against the destination policy on the address it goes to), or an injected fetch
// (tests, embedding). Neither follows redirects: a 3xx comes back as it is. Both read at most
// `responseBytes` of the answer and drop the rest. Measured on the delivery bench, fetch cost about
// twice the CPU per attempt of undici's request (a Request, Headers, a tee of the body and web streams
// made and dropped each time), and most of the relay's garbage.

export interface TransportRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  signal: AbortSignal;
  /** The most of the response body kept (as text). */
  responseBytes: number;
}

export interface TransportResponse {
  status: number;
  /** A response header by lower-case name (repeated values joined with `, `), or null. */
  header(name: string): string | null;
  /** The first `responseBytes` of the body, as text. */
  body: string;
}

/** Sends one POST; rejects when no answer came (connection refused, timeout, policy refusal). */
export type AttemptTransport = (req: TransportRequest) => Promise<TransportResponse>;

/** undici's request over `dispatcher` (the relay's guarded one). */
export function requestTransport(dispatcher: Dispatcher): AttemptTransport {
  return async (req) => {
    const res = await request(req.url, {
      dispatcher,
      method: 'POST',
      headers: req.headers,
      body: req.body,
      signal: req.signal,
    });
    const { headers } = res;
    return {
      status: res.statusCode,
      header(name) {
        const value = headers[name];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      body: await readPrefix(res.body, req.responseBytes),
    };
  };
}

/** The first `limit` bytes of a body as text; past them the body is destroyed (its connection closed). */
function readPrefix(body: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => resolve((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)).toString('utf8'));
    body.on('data', (chunk: Buffer) => {
      if (size + chunk.length <= limit) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      chunks.push(chunk.subarray(0, limit - size));
      size = limit;
      body.removeAllListeners('data');
      body.on('error', () => {});
      body.destroy();
      done();
    });
    body.on('end', done);
    body.on('error', reject);
  });
}

const decoder = new TextDecoder();

/** An injected fetch, with redirects returned as they are. */
export function fetchTransport(fetchImpl: typeof fetch): AttemptTransport {
  return async (req) => {
    const response = await fetchImpl(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body as unknown as BodyInit,
      redirect: 'manual',
      signal: req.signal,
    });
    return {
      status: response.status,
      header: (name) => response.headers.get(name),
      body: await readResponsePrefix(response, req.responseBytes),
    };
  };
}

async function readResponsePrefix(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  // A declared small body is read whole: cheaper than pulling chunks through a reader.
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared <= limit) return (await response.text()).slice(0, limit);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    if (size >= limit) await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  return decoder.decode(Buffer.concat(chunks).subarray(0, limit));
}
