import type { NextFunction, Request, Response } from 'express';
import type { AiErrorCode } from '../ai/error-codes.ts';
import type { BatchErrorCode } from '../batches/error-codes.ts';
import type { DeliveryErrorCode } from '../delivery/error-codes.ts';
import { RelayError, type RelayErrorCode } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import type { IngestErrorCode } from '../ingest/error-codes.ts';
import type { KeyErrorCode } from '../keys/error-codes.ts';
import type { LiveErrorCode } from '../live/error-codes.ts';
import type { SourceErrorCode } from '../sources/error-codes.ts';
import type { WorkflowErrorCode } from '../workflows/error-codes.ts';

export type ErrorCode =
  | RelayErrorCode
  | IngestErrorCode
  | KeyErrorCode
  | SourceErrorCode
  | LiveErrorCode
  | DeliveryErrorCode
  | WorkflowErrorCode
  | AiErrorCode
  | BatchErrorCode;

/**
 * Every error code the HTTP surface can return, with its status: the only place a status is chosen.
 * A code some subsystem lists but this table lacks, or a row for a code nobody lists, fails the build;
 * README's "Error codes" table is checked against this one.
 */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_json: 400,
  invalid_request: 400,
  json_too_deep: 400,
  unknown_scope: 400,
  unauthorized: 401,
  signature_missing: 401,
  signature_invalid: 401,
  timestamp_out_of_tolerance: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  source_not_found: 404,
  conflict: 409,
  source_exists: 409,
  source_read_only: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  insufficient_quota: 429,
  internal_error: 500,
  store_unavailable: 503,
  model_not_found: 400,
  unknown_parameter: 400,
  unsupported_input: 400,
  unsupported_parameter: 400,
  unsupported_tool: 400,
  previous_response_not_found: 400,
  upstream_refused: 400,
  upstream_error: 502,
  response_not_cancellable: 400,
  webhooks_unavailable: 400,
  idempotency_key_reused: 409,
  ai_queue_full: 429,
  ai_instance_unavailable: 503,
  too_many_subscribers: 503,
  destination_refused: 400,
  endpoint_disabled: 409,
  endpoint_paused: 409,
  endpoint_uid_taken: 409,
  delivery_busy: 409,
  workflow_not_found: 404,
  run_not_found: 404,
  run_finished: 409,
  run_not_finished: 409,
  run_unreachable: 503,
  callback_not_found: 404,
  callback_already_received: 409,
  callback_run_finished: 410,
  ai_unavailable: 503,
  batch_not_cancellable: 409,
};

/** What an error answers over HTTP: its status, code, message, details and headers. */
export interface HttpProblem {
  status: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Routes that speak OpenAI's API: their errors also carry OpenAI's `type` and `param`. */
const OPENAI_ROUTES = /^\/v1\/(responses|chat\/completions|models|files|batches|embeddings)(\/|$)/;

/** OpenAI's error `type` for a status. */
function openaiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * The one place errors become HTTP: `{"error": {"code", "message"}}` on every route; on the OpenAI
 * routes in OpenAI's shape `{"error": {"message", "type", "param", "code"}}` (the same code).
 */
export function errorHandler(logger: Logger) {
  return function handleError(error: unknown, req: Request, res: Response, _next: NextFunction) {
    const mapped = toHttpProblem(error);
    if (mapped.status >= 500 && mapped.code !== 'store_unavailable') {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (mapped.headers) res.set(mapped.headers);
    const body = OPENAI_ROUTES.test(req.originalUrl)
      ? { message: mapped.message, type: openaiType(mapped.status), param: null, code: mapped.code, ...mapped.details }
      : { code: mapped.code, message: mapped.message, ...mapped.details };
    res.status(mapped.status).json({ error: body });
  };
}

/**
 * A RelayError answers with its code's status; one a repeat meets again says so to OpenAI's SDK
 * (`x-should-retry: false`: it retries 409s otherwise). body-parser's own errors carry `type` and
 * `status`: a 4xx keeps its status as `bad_request`; everything unknown is a 500.
 */
export function toHttpProblem(error: unknown): HttpProblem {
  if (error instanceof RelayError) return relayProblem(error);
  const e = error as { type?: string; status?: number; limit?: number };
  switch (e?.type) {
    case 'entity.too.large':
      return problem('payload_too_large', `The body is larger than the limit of ${e.limit} bytes.`);
    case 'entity.parse.failed':
      return problem('invalid_json', 'The body is labelled JSON but does not parse as JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problem('unsupported_media_type', 'The body uses an encoding or charset the relay does not read.');
    case 'request.aborted':
      return problem('bad_request', 'The client closed the request before the body arrived.');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { ...problem('bad_request', 'The request could not be read.'), status: e.status };
  }
  return problem('internal_error', 'Something went wrong inside the relay; the log has the details.');
}

function relayProblem(error: RelayError): HttpProblem {
  // A code missing from the table is a bug (the catalogue test looks for one): answer it as one.
  const status = Object.hasOwn(ERROR_STATUS, error.code) ? ERROR_STATUS[error.code as ErrorCode] : 500;
  const headers = error.retryable === false ? { 'x-should-retry': 'false' } : undefined;
  return { status, code: error.code, message: error.message, details: error.details, headers };
}

const problem = (code: ErrorCode, message: string): HttpProblem => ({ status: ERROR_STATUS[code], code, message });

export function notFound(req: Request, _res: Response, next: NextFunction) {
  next(new RelayError('not_found', `No route for ${req.method} ${req.path}.`));
}
