import type { BatchUsage, OutputLine } from './types.ts';

interface AnyUsage {
  input_tokens?: number;
  output_tokens?: number;
  prompt_tokens?: number;
  completion_tokens?: number;
  input_tokens_details?: { cached_tokens?: number };
  prompt_tokens_details?: { cached_tokens?: number };
  output_tokens_details?: { reasoning_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

/**
 * Adds a completed line's usage to the batch's: Responses (`input_tokens`...), chat completions and
 * embeddings (`prompt_tokens`...) bodies. A line whose upstream reported no usage adds nothing.
 */
export function addUsage(total: BatchUsage | null, line: OutputLine): BatchUsage | null {
  const u = (line.response?.body as { usage?: AnyUsage | null } | null)?.usage;
  if (!u || typeof u !== 'object') return total;
  const input = u.input_tokens ?? u.prompt_tokens ?? 0;
  const output = u.output_tokens ?? u.completion_tokens ?? 0;
  const cached = u.input_tokens_details?.cached_tokens ?? u.prompt_tokens_details?.cached_tokens ?? 0;
  const reasoning = u.output_tokens_details?.reasoning_tokens ?? u.completion_tokens_details?.reasoning_tokens ?? 0;
  const base = total ?? {
    input_tokens: 0,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 0,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 0,
  };
  return {
    input_tokens: base.input_tokens + input,
    input_tokens_details: { cached_tokens: base.input_tokens_details.cached_tokens + cached },
    output_tokens: base.output_tokens + output,
    output_tokens_details: { reasoning_tokens: base.output_tokens_details.reasoning_tokens + reasoning },
    total_tokens: base.total_tokens + input + output,
  };
}
