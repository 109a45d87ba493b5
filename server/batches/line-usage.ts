import type { OutputLine } from './types.ts';

/** Tokens one batch line used, as the upstream reported them (chat completions' or responses' names). */
export interface LineUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** The usage in a completed line's body, or null when the upstream sent none. */
export function lineUsage(output: OutputLine): LineUsage | null {
  const body = output.response?.body as { usage?: Record<string, unknown> } | null | undefined;
  const usage = body?.usage;
  if (!usage || typeof usage !== 'object') return null;
  const n = (...names: string[]) => {
    for (const name of names) if (typeof usage[name] === 'number') return usage[name] as number;
    return 0;
  };
  const input = n('input_tokens', 'prompt_tokens');
  const output_ = n('output_tokens', 'completion_tokens');
  return { input_tokens: input, output_tokens: output_, total_tokens: n('total_tokens') || input + output_ };
}
