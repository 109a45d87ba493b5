import type OpenAI from 'openai';
import { serviceKey } from '../../plugins/sdk.ts';

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';
export type BatchEndpoint = '/v1/responses' | '/v1/chat/completions' | '/v1/embeddings';

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
  /** The model of the batch's requests (the first line's; null before validation and in older rows). */
  model?: string | null;
  /** Tokens of the completed requests, as their upstreams reported them (null until one reports). */
  usage?: BatchUsage | null;
  files_written?: boolean;
  /** The key that created it (kept internal; null: admin token). Its output files belong to it too. */
  owner?: string | null;
}

/** OpenAI's Batch `usage`. */
export interface BatchUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
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

export const AI_QUEUE = serviceKey<AiQueue>('ai.queue');

/**
 * The Responses service as batches use it (service `ai.responses`): `/v1/responses` lines run through
 * it, so they get the same translation to chat completions as `POST /v1/responses`.
 */
export interface ResponsesRunner {
  create(body: Record<string, unknown>): Promise<{ id: string }>;
  waitForTerminal(id: string, signal?: AbortSignal): Promise<{ id: string; status?: string; error?: unknown }>;
  cancel(id: string): Promise<unknown>;
}

/** A batch as the API shows it: without the bookkeeping of written files and the owner. */
export function batchView(batch: BatchRecord): Omit<BatchRecord, 'files_written' | 'owner'> {
  const { files_written: _, owner: _owner, ...rest } = batch;
  return rest;
}
