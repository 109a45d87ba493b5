import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.ts';
import type { DestinationPolicy } from '../outbound/destination-policy.ts';
import { type AttemptOutcome, parseRetryAfter } from './retry-policy.ts';
import type { AttemptTransport } from './transport.ts';

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
  transport: AttemptTransport;
  clock: Clock;
  policy: DestinationPolicy;
  timeoutMs: number;
  responseBytes: number;
  /** Registers the attempt's controller so stopping the relay can abort it; returns the unregister. */
  track?: (controller: AbortController) => () => void;
}

class AttemptTimeout extends Error {}

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
    const response = await deps.transport({ ...request, signal: controller.signal, responseBytes: deps.responseBytes });
    const { status } = response;
    const ok = status >= 200 && status < 300;
    const control = response.header('webhook-delivery')?.trim().toLowerCase();
    return result({
      status,
      responseBody: response.body,
      retryAfterMs: parseRetryAfter(response.header('retry-after'), deps.clock.now()),
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

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : (err.message ?? String(error));
}
