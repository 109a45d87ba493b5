import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';

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
    const mapped = toHttpError(error);
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

/** body-parser's own errors carry `type` and `status`; everything unknown is a 500. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const e = error as { type?: string; status?: number; limit?: number };
  switch (e?.type) {
    case 'entity.too.large':
      return new HttpError('payload_too_large', `The body is larger than the limit of ${e.limit} bytes.`);
    case 'entity.parse.failed':
      return new HttpError('invalid_json', 'The body is labelled JSON but does not parse as JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError('unsupported_media_type', 'The body uses an encoding or charset the relay does not read.');
    case 'request.aborted':
      return new HttpError('bad_request', 'The client closed the request before the body arrived.');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new HttpError('bad_request', 'The request could not be read.', e.status);
  }
  return new HttpError('internal_error', 'Something went wrong inside the relay; the log has the details.');
}

export function notFound(req: Request, _res: Response, next: NextFunction) {
  next(new HttpError('not_found', `No route for ${req.method} ${req.path}.`));
}
