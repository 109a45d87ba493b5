/** Codes the AI API (responses, chat completions, models) throws; README's catalogue describes each. */
export const AI_ERROR_CODES = [
  'model_not_found',
  'unknown_parameter',
  'unsupported_input',
  'unsupported_parameter',
  'unsupported_tool',
  'previous_response_not_found',
  'upstream_refused',
  'upstream_error',
  'response_not_cancellable',
  'webhooks_unavailable',
  'idempotency_key_reused',
  'ai_queue_full',
  'insufficient_quota',
  'ai_instance_unavailable',
] as const;

export type AiErrorCode = (typeof AI_ERROR_CODES)[number];
