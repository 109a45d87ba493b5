import type OpenAI from 'openai';

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';
export type BatchEndpoint = '/v1/responses' | '/v1/chat/completions';

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

/** OpenAI's Batch object, plus `files_written` (kept internal): outputs exist, finalizing can skip them. */
export interface BatchRecord {
  id: string;
  object: 'batch';
  endpoint: BatchEndpoint;
  input_file_id: string;
  completion_window: '24h';
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  errors: { object: 'list'; data: BatchError[] } | null;
  metadata: Record<string, string> | null;
  files_written?: boolean;
  /** The key that created it (kept internal; null: admin token). Its output files belong to it too. */
  owner?: string | null;
}

export const TERMINAL: ReadonlySet<BatchStatus> = new Set(['failed', 'completed', 'expired', 'cancelled']);

/** One line of an output or error file, in OpenAI's format. */
export interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string | null; body: unknown } | null;
  error: { code: string; message: string } | null;
}

/** A request line of the input file that passed validation. */
export interface RequestLine {
  line: number;
  custom_id: string;
  model: string;
  body: Record<string, unknown>;
}

/**
 * The AI queue as batches use it (service `ai.queue`): per-upstream concurrency and priorities. Declared
 * here structurally; the AI subsystem provides it.
 */
export interface AiQueue {
  run<T>(job: {
    model: string;
    priority: 'high' | 'normal' | 'low';
    signal?: AbortSignal;
    execute(client: OpenAI, upstream: { name: string }, signal: AbortSignal): Promise<T>;
  }): Promise<T>;
}

export const AI_QUEUE = 'ai.queue';
