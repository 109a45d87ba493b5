import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

// How one attempt's POST travels: undici's dispatch API over the relay's guarded dispatcher (every
// connection checked against the destination policy on the address it goes to), or an injected fetch
// (tests, embedding). Neither follows redirects: a 3xx comes back as it is. Both read at most
// `responseBytes` of the answer and drop the rest. Measured on the delivery bench, fetch cost about
// twice the CPU per attempt of undici's request (a Request, Headers, a tee of the body and web streams
// made and dropped each time), and most of the relay's garbage; dispatch with the handler below took
// another fifth off request (no response stream and no promise inside undici per attempt).

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

/**
 * undici's dispatch over `dispatcher` (the relay's guarded one): the answer is gathered as it arrives,
 * with no promise, stream or body object per response beyond this handler.
 */
export function requestTransport(dispatcher: Dispatcher): AttemptTransport {
  const targets = new Map<string, { origin: string; path: string }>();
  return (req) => {
    let target = targets.get(req.url);
    if (!target) {
      const url = new URL(req.url);
      target = { origin: url.origin, path: `${url.pathname}${url.search}` };
      if (targets.size >= 1000) targets.clear();
      targets.set(req.url, target);
    }
    const options = { origin: target.origin, path: target.path, method: 'POST' as const, headers: req.headers, body: req.body };
    return new Promise<TransportResponse>((resolve, reject) => {
      if (req.signal.aborted) return reject(req.signal.reason);
      const handler = new AttemptHandler(req.signal, req.responseBytes, resolve, reject);
      try {
        dispatcher.dispatch(options, handler);
      } catch (error) {
        handler.onResponseError(null, error as Error);
      }
    });
  };
}

/** One attempt's answer: status, headers and the first `limit` bytes; past them the connection is closed. */
class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly #signal: AbortSignal;
  readonly #limit: number;
  readonly #resolve: (response: TransportResponse) => void;
  readonly #reject: (error: unknown) => void;
  #controller: Dispatcher.DispatchController | null = null;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;

  constructor(signal: AbortSignal, limit: number, resolve: (r: TransportResponse) => void, reject: (e: unknown) => void) {
    this.#signal = signal;
    this.#limit = limit;
    this.#resolve = resolve;
    this.#reject = reject;
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  #onAbort = () => {
    this.#controller?.abort(this.#signal.reason);
    this.#settle(this.#signal.reason);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Aborted while it waited for a connection: not sent at all.
    if (this.#signal.aborted) controller.abort(this.#signal.reason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (this.#size + chunk.length <= this.#limit) {
      this.#chunks.push(chunk);
      this.#size += chunk.length;
      return;
    }
    this.#chunks.push(chunk.subarray(0, this.#limit - this.#size));
    this.#size = this.#limit;
    this.#settle(null);
    controller.abort(new Error('the rest of the response is not read'));
  }

  onResponseEnd(): void {
    this.#settle(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, error: Error): void {
    this.#settle(error);
  }

  #settle(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    if (error !== null) {
      this.#reject(error);
      return;
    }
    const headers = this.#headers;
    const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks, this.#size);
    this.#resolve({
      status: this.#status,
      header(name) {
        const value = headers[name];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      body: body.toString('utf8'),
    });
  }
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
