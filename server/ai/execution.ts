import type OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionTokenLogprob,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { type Clock, sleep } from '../clock.ts';
import type { ChatMessage, ChatOptions } from './chat-request.ts';
import type { UpstreamUsage } from './response-object.ts';
import { appendReasoning, appendText, appendToolCall, type Logprob, type OutputState } from './output-items.ts';
import { backoffDelay, isRetryable } from './retry.ts';
import { chatChunks } from './upstream-stream.ts';

/** What one upstream call produced. */
export interface CallResult {
  finishReason: string | null;
  usage: UpstreamUsage | null;
}

export interface CallOptions {
  model: string;
  messages: ChatMessage[];
  chat: ChatOptions;
  maxToolCalls: number | null;
  maxAttempts: number;
  backoffMs: number;
  clock: Clock;
  /** Called before each attempt after the first (for logs and metrics). */
  onRetry?(attempt: number, error: unknown): void;
}

/**
 * Streams a chat completion and turns its chunks into Responses events. Retries (429, 5xx,
 * connection errors) only while nothing was emitted: after partial output a retry would show the
 * reader a second, different beginning.
 */
export async function callUpstream(
  client: OpenAI,
  out: OutputState,
  options: CallOptions,
  signal: AbortSignal,
): Promise<CallResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await streamOnce(client, out, options, signal);
    } catch (error) {
      if (out.items.length > 0 || signal.aborted || attempt >= options.maxAttempts || !isRetryable(error)) throw error;
      options.onRetry?.(attempt + 1, error);
      await sleep(options.clock, backoffDelay(attempt, options.backoffMs), signal);
    }
  }
}

/** The delta fields of the chunks that servers other than OpenAI add (vLLM, DeepSeek, Ollama, OpenRouter). */
type Delta = NonNullable<ChatCompletionChunk['choices'][number]['delta']> & { reasoning_content?: string; reasoning?: string };

async function streamOnce(client: OpenAI, out: OutputState, options: CallOptions, signal: AbortSignal): Promise<CallResult> {
  const body = {
    ...options.chat,
    model: options.model,
    messages: options.messages,
    stream: true,
    stream_options: { include_usage: true },
  } as ChatCompletionCreateParamsStreaming;
  const response = await client.chat.completions.create(body, { signal }).asResponse();
  const result: CallResult = { finishReason: null, usage: null };
  try {
    for await (const chunk of chatChunks(response)) {
      if (out.stopped) break;
      const choice = chunk.choices?.[0];
      const delta = choice?.delta as Delta | undefined;
      if (delta) applyDelta(out, delta, choice?.logprobs?.content, options.maxToolCalls);
      if (choice?.finish_reason) result.finishReason = choice.finish_reason;
      if (chunk.usage) result.usage = usageFrom(chunk.usage);
    }
  } catch (error) {
    // An abort surfaces as the body read failing; report it as the SDK's stream did (see below).
    if (!signal.aborted) throw error;
  }
  if (signal.aborted) throw signal.reason;
  return result;
}

function applyDelta(
  out: OutputState,
  delta: Delta,
  logprobs: ChatCompletionTokenLogprob[] | null | undefined,
  maxToolCalls: number | null,
): void {
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (typeof reasoning === 'string' && reasoning) appendReasoning(out, reasoning);
  if (delta.content) appendText(out, delta.content, logprobs ? logprobs.map(logprobOf) : []);
  for (const call of delta.tool_calls ?? []) {
    appendToolCall(
      out,
      { index: call.index, id: call.id, name: call.function?.name, arguments: call.function?.arguments },
      maxToolCalls,
    );
  }
}

function logprobOf(l: ChatCompletionTokenLogprob): Logprob {
  return {
    token: l.token,
    bytes: l.bytes ?? [],
    logprob: l.logprob,
    top_logprobs: (l.top_logprobs ?? []).map((t) => ({ token: t.token, bytes: t.bytes ?? [], logprob: t.logprob })),
  };
}

function usageFrom(u: CompletionUsage): UpstreamUsage {
  return {
    input: u.prompt_tokens,
    output: u.completion_tokens,
    cached: u.prompt_tokens_details?.cached_tokens ?? null,
    reasoning: u.completion_tokens_details?.reasoning_tokens ?? null,
  };
}
