import type OpenAI from 'openai';
import { type Clock, sleep } from '../clock.ts';
import type { LiveResponse } from './live.ts';
import type { ChatMessage } from './request.ts';
import { messageItem } from './response-object.ts';
import { backoffDelay, isRetryable } from './retry.ts';
import { chatChunks } from './upstream-stream.ts';

/** What one upstream call produced. */
export interface CallResult {
  finishReason: string | null;
  usage: { input: number; output: number } | null;
}

/** The part of a running response that the upstream call writes to. */
export interface OutputState {
  live: LiveResponse;
  newItemId(): string;
  itemId: string | null;
  text: string;
  /** Set by cancel: no event may follow it. */
  readonly stopped: boolean;
}

export interface CallOptions {
  model: string;
  messages: ChatMessage[];
  maxOutputTokens: number | null;
  temperature: number | null;
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
      if (out.itemId !== null || signal.aborted || attempt >= options.maxAttempts || !isRetryable(error)) throw error;
      options.onRetry?.(attempt + 1, error);
      await sleep(options.clock, backoffDelay(attempt, options.backoffMs), signal);
    }
  }
}

async function streamOnce(client: OpenAI, out: OutputState, options: CallOptions, signal: AbortSignal): Promise<CallResult> {
  const response = await client.chat.completions
    .create(
      {
        model: options.model,
        messages: options.messages,
        stream: true,
        stream_options: { include_usage: true },
        ...(options.maxOutputTokens !== null && { max_tokens: options.maxOutputTokens }),
        ...(options.temperature !== null && { temperature: options.temperature }),
      },
      { signal },
    )
    .asResponse();
  const result: CallResult = { finishReason: null, usage: null };
  try {
    for await (const chunk of chatChunks(response)) {
      if (out.stopped) break;
      const choice = chunk.choices?.[0];
      const delta = choice?.delta?.content;
      if (delta) appendText(out, delta);
      if (choice?.finish_reason) result.finishReason = choice.finish_reason;
      if (chunk.usage) result.usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
    }
  } catch (error) {
    // An abort surfaces as the body read failing; report it as the SDK's stream did (see below).
    if (!signal.aborted) throw error;
  }
  if (signal.aborted) throw signal.reason;
  return result;
}

export function startOutput(out: OutputState): void {
  const itemId = out.newItemId();
  out.itemId = itemId;
  const item = { ...messageItem(itemId, '', 'in_progress'), content: [] };
  out.live.emit({ type: 'response.output_item.added', output_index: 0, item });
  out.live.emit({
    type: 'response.content_part.added',
    item_id: itemId,
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
  });
}

function appendText(out: OutputState, delta: string): void {
  if (out.itemId === null) startOutput(out);
  out.text += delta;
  out.live.emitDelta(out.itemId as string, delta);
}

/** The closing events of the message item, before the terminal response event. */
export function finishOutput(out: OutputState, status: 'completed' | 'incomplete'): void {
  if (out.itemId === null) startOutput(out);
  const itemId = out.itemId as string;
  const part = { type: 'output_text', text: out.text, annotations: [], logprobs: [] };
  out.live.emit({
    type: 'response.output_text.done',
    item_id: itemId,
    output_index: 0,
    content_index: 0,
    text: out.text,
    logprobs: [],
  });
  out.live.emit({ type: 'response.content_part.done', item_id: itemId, output_index: 0, content_index: 0, part });
  out.live.emit({ type: 'response.output_item.done', output_index: 0, item: messageItem(itemId, out.text, status) });
}
