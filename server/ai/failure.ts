import OpenAI from 'openai';
import { RelayError } from '../errors.ts';
import type { FailureReason } from './response-object.ts';

/** Turns what an upstream call threw into a failure reason and a message worth showing to the caller. */
export function classifyFailure(error: unknown): { reason: FailureReason; message: string } {
  if (error instanceof RelayError && error.code === 'model_not_found')
    return { reason: 'model_not_found', message: error.message };
  if (error instanceof OpenAI.APIError && error.status === 429) {
    return { reason: 'rate_limited', message: `The upstream kept answering 429 (rate limited): ${error.message}` };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { reason: 'upstream_error', message: `The upstream could not be reached: ${error.message}` };
  }
  if (error instanceof OpenAI.APIError) {
    return { reason: 'upstream_error', message: `The upstream answered ${error.status ?? 'an error'}: ${error.message}` };
  }
  return { reason: 'upstream_error', message: `The upstream call failed: ${(error as Error)?.message ?? String(error)}` };
}
