import type { Response, ResponseOutputMessage, ResponseStatus, ResponseUsage } from 'openai/resources/responses/responses';
import type { CreateParams } from './request.ts';

export type { Response, ResponseStatus, ResponseUsage };

export const TERMINAL: ReadonlySet<ResponseStatus> = new Set(['completed', 'failed', 'cancelled', 'incomplete']);
export const isTerminal = (status: ResponseStatus | undefined) => status !== undefined && TERMINAL.has(status);

/** Why a response failed; `code` keeps to the SDK's ResponseError codes, `hookrelay_code` says exactly what. */
export type FailureReason = 'upstream_error' | 'rate_limited' | 'timeout' | 'interrupted' | 'model_not_found';

export const seconds = (ms: number) => Math.floor(ms / 1000);

/** A new Response object in status queued, shaped as the openai SDK's `Response` type. */
export function newResponse(id: string, params: CreateParams, nowMs: number): Response {
  // Typed without a cast so the compiler checks every required field of the SDK's type; output_text
  // is left out on purpose: the SDK computes it on the client.
  const response: Omit<Response, 'output_text'> = {
    id,
    object: 'response',
    access_programs: null,
    created_at: seconds(nowMs),
    status: 'queued',
    background: params.background,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: params.instructions,
    max_output_tokens: params.max_output_tokens,
    metadata: params.metadata ?? {},
    model: params.model,
    output: [],
    parallel_tool_calls: false,
    temperature: params.temperature,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    truncation: 'disabled',
  };
  return response as Response;
}

export function messageItem(id: string, text: string, status: ResponseOutputMessage['status']): ResponseOutputMessage {
  return {
    id,
    type: 'message',
    role: 'assistant',
    status,
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

export function usageOf(input: number, output: number): ResponseUsage {
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

export function failureError(reason: FailureReason, message: string): NonNullable<Response['error']> {
  const code = reason === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error';
  return { code, message, hookrelay_code: reason } as NonNullable<Response['error']>;
}
