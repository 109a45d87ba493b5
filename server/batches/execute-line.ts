import type OpenAI from 'openai';
import { type Clock, sleep } from '../clock.ts';
import { runResponseLine } from './response-line.ts';
import type { AiQueue, BatchEndpoint, OutputLine, RequestLine, ResponsesRunner } from './types.ts';

export interface LineRetry {
  attempts: number;
  backoffMs: number;
  clock: Clock;
  /** Runs `/v1/responses` lines (absent: they are posted to the upstream's own /responses). */
  responses?: ResponsesRunner;
}

export interface LineOutcome {
  outcome: 'completed' | 'failed';
  output: OutputLine;
}

/**
 * Runs one request line through the AI queue at low priority and shapes the answer as an output-file
 * line. 429, 5xx and connection failures are tried again (`retry.attempts` in all, exponential backoff,
 * waiting outside the queue so the slot serves other work). The upstream's body is kept as it sent it.
 * Throws only when `signal` aborted (the line did not run to an answer and stays open).
 */
export async function executeLine(
  queue: AiQueue,
  endpoint: BatchEndpoint,
  request: RequestLine,
  outputId: string,
  signal: AbortSignal,
  retry: LineRetry,
): Promise<LineOutcome> {
  if (endpoint === '/v1/responses' && retry.responses) {
    return runResponseLine(retry.responses, request, { id: outputId, custom_id: request.custom_id }, signal);
  }
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptLine(queue, endpoint, request, outputId, signal);
    if (outcome.outcome === 'completed' || attempt >= retry.attempts || !outcome.retryable) return outcome;
    await sleep(retry.clock, retry.backoffMs * 2 ** (attempt - 1), signal);
  }
}

async function attemptLine(
  queue: AiQueue,
  endpoint: BatchEndpoint,
  request: RequestLine,
  outputId: string,
  signal: AbortSignal,
): Promise<LineOutcome & { retryable: boolean }> {
  const path = endpoint.slice('/v1'.length);
  const base = { id: outputId, custom_id: request.custom_id };
  try {
    const output = await queue.run({
      model: request.model,
      priority: 'low',
      signal,
      async execute(client: OpenAI, _upstream, jobSignal) {
        const response = await client.post(path, { body: request.body, signal: jobSignal }).asResponse();
        const body = (await response.json()) as unknown;
        return {
          ...base,
          response: { status_code: response.status, request_id: response.headers.get('x-request-id'), body },
          error: null,
        };
      },
    });
    return { outcome: 'completed', output, retryable: false };
  } catch (error) {
    if (signal.aborted) throw error;
    const status = (error as { status?: unknown }).status;
    // No status: the upstream could not be reached (or a queue refusal such as a full lane).
    const retryable = typeof status !== 'number' || status === 429 || status >= 500;
    return { outcome: 'failed', output: { ...base, ...failure(error) }, retryable };
  }
}

function failure(error: unknown): Pick<OutputLine, 'response' | 'error'> {
  const e = error as {
    status?: number;
    error?: unknown;
    headers?: unknown;
    requestID?: string | null;
    code?: string;
    message?: string;
  };
  if (typeof e?.status === 'number' && e.headers !== undefined) {
    // The upstream answered with an error status: OpenAI puts that answer in the error file as a response.
    return {
      response: { status_code: e.status, request_id: e.requestID ?? null, body: { error: e.error ?? { message: e.message } } },
      error: null,
    };
  }
  // No answer: unreachable upstream, or the queue refused the job (no upstream serves the model, lane full).
  return {
    response: null,
    error: { code: typeof e?.code === 'string' ? e.code : 'request_failed', message: e?.message ?? String(error) },
  };
}
