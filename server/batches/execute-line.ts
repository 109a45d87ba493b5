import type OpenAI from 'openai';
import type { AiQueue, BatchEndpoint, OutputLine, RequestLine } from './types.ts';

export interface LineOutcome {
  outcome: 'completed' | 'failed';
  output: OutputLine;
}

/**
 * Runs one request line through the AI queue at low priority and shapes the answer as an output-file
 * line. The upstream's body is kept as it sent it. Throws only when `signal` aborted (the line did not
 * run to an answer and stays open).
 */
export async function executeLine(
  queue: AiQueue,
  endpoint: BatchEndpoint,
  request: RequestLine,
  outputId: string,
  signal: AbortSignal,
): Promise<LineOutcome> {
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
    return { outcome: 'completed', output };
  } catch (error) {
    if (signal.aborted) throw error;
    return { outcome: 'failed', output: { ...base, ...failure(error) } };
  }
}

function failure(error: unknown): Pick<OutputLine, 'response' | 'error'> {
  const e = error as {
    status?: number;
    error?: unknown;
    headers?: Headers;
    requestID?: string | null;
    code?: string;
    message?: string;
  };
  if (typeof e?.status === 'number') {
    // The upstream answered with an error status: OpenAI puts that answer in the error file as a response.
    return {
      response: { status_code: e.status, request_id: e.requestID ?? null, body: { error: e.error ?? { message: e.message } } },
      error: null,
    };
  }
  return { response: null, error: { code: e?.code ?? 'request_failed', message: e?.message ?? String(error) } };
}
