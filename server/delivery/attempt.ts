import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';
import type { DestinationPolicy } from '../outbound/destination-policy.ts';
import { type AttemptOutcome, parseRetryAfter } from './retry-policy.ts';

export interface AttemptRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface AttemptResult extends AttemptOutcome {
  latencyMs: number;
  responseBody: string;
  error: string | null;
  /** The receiver's `webhook-delivery` response header: stop this message, or the whole endpoint. */
  control: 'disable' | 'abort-message' | null;
}

export interface AttemptDeps {
  fetch: typeof fetch;
  clock: Clock;
  policy: DestinationPolicy;
  timeoutMs: number;
  responseBytes: number;
  /** Registers the attempt's controller so stopping the relay can abort it; returns the unregister. */
  track?: (controller: AbortController) => () => void;
}

class AttemptTimeout extends Error {}

const decoder = new TextDecoder();

/**
 * One HTTP attempt. Never throws: every failure becomes a result. Redirects are not followed (a 3xx is
 * a failure, as the receiver did not take the message); the timeout covers connect, headers and the
 * part of the body we keep, and runs on the injected clock.
 */
export async function sendAttempt(deps: AttemptDeps, request: AttemptRequest): Promise<AttemptResult> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = deps.clock.setTimeout(() => controller.abort(new AttemptTimeout()), deps.timeoutMs);
  const untrack = deps.track?.(controller);
  const result = (fields: Partial<AttemptResult>): AttemptResult => ({
    status: null,
    timedOut: false,
    retryAfterMs: null,
    responseBody: '',
    error: null,
    control: null,
    ...fields,
    latencyMs: Math.round(performance.now() - started),
  });
  try {
    await deps.policy.check(request.url);
    const response = await deps.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body as unknown as BodyInit,
      redirect: 'manual',
      signal: controller.signal,
    });
    const responseBody = await readPrefix(response, deps.responseBytes);
    const status = response.status;
    const ok = status >= 200 && status < 300;
    const control = response.headers.get('webhook-delivery')?.trim().toLowerCase();
    return result({
      status,
      responseBody,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), deps.clock.now()),
      error: ok ? null : status >= 300 && status < 400 ? `redirect ${status} (not followed)` : `HTTP ${status}`,
      control: control === 'disable' || control === 'abort-message' ? control : null,
    });
  } catch (error) {
    const timedOut = controller.signal.reason instanceof AttemptTimeout;
    return result({ timedOut, error: timedOut ? `timed out after ${deps.timeoutMs} ms` : describe(error) });
  } finally {
    timer.clear();
    untrack?.();
  }
}

/** The first `limit` bytes of the body as text; the rest is not read (the connection is released). */
async function readPrefix(response: Response, limit: number): Promise<string> {
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

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : (err.message ?? String(error));
}
