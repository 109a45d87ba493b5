/** Codes the batches API throws (a cancel that waits on another instance uses the AI API's `ai_instance_unavailable`). */
export const BATCH_ERROR_CODES = ['ai_unavailable', 'batch_not_cancellable'] as const;

export type BatchErrorCode = (typeof BATCH_ERROR_CODES)[number];
