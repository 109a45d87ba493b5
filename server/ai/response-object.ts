import type { Response, ResponseStatus, ResponseUsage } from 'openai/resources/responses/responses';
import type { CreateParams } from './request.ts';

export type { Response, ResponseStatus, ResponseUsage };

export const TERMINAL: ReadonlySet<ResponseStatus> = new Set(['completed', 'failed', 'cancelled', 'incomplete']);
export const isTerminal = (status: ResponseStatus | undefined) => status !== undefined && TERMINAL.has(status);

/** Why a response failed; `code` keeps to the SDK's ResponseError codes, `hookrelay_code` says exactly what. */
export type FailureReason = 'upstream_error' | 'rate_limited' | 'timeout' | 'interrupted' | 'model_not_found';

export const seconds = (ms: number) => Math.floor(ms / 1000);

/** A new Response object in status queued, shaped as the openai SDK's `Response` type, echoing the request. */
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
    max_tool_calls: params.max_tool_calls,
    metadata: params.metadata ?? {},
    model: params.model,
    output: [],
    parallel_tool_calls: params.parallel_tool_calls,
    previous_response_id: params.previous_response_id,
    prompt_cache_key: params.prompt_cache_key,
    prompt_cache_retention: params.prompt_cache_retention as Response['prompt_cache_retention'],
    reasoning: params.reasoning as Response['reasoning'],
    safety_identifier: params.safety_identifier,
    service_tier: params.service_tier as Response['service_tier'],
    temperature: params.temperature,
    text: params.text as Response['text'],
    tool_choice: params.tool_choice as Response['tool_choice'],
    tools: params.tools as Response['tools'],
    top_logprobs: params.top_logprobs,
    top_p: params.top_p,
    truncation: params.truncation,
    ...(params.user !== null && { user: params.user }),
  };
  // `store` is in OpenAI's Response objects but not in the SDK's type.
  return { ...response, store: params.store } as unknown as Response;
}

/** Usage as the upstream reported it; detail counts it did not report are 0 (the SDK's type needs numbers). */
/** Token counts as the upstream reported them (details null when it did not say). */
export interface UpstreamUsage {
  input: number;
  output: number;
  cached: number | null;
  reasoning: number | null;
}

export function usageOf(u: UpstreamUsage): ResponseUsage {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached ?? 0, cache_write_tokens: 0 },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: u.input + u.output,
  };
}

export function failureError(reason: FailureReason, message: string): NonNullable<Response['error']> {
  const code = reason === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error';
  return { code, message, hookrelay_code: reason } as NonNullable<Response['error']>;
}
