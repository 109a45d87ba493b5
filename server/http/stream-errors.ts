import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../ops/logger.ts';

/**
 * Every request and response stream gets an `error` listener before any route sees it: an `error`
 * event nobody listens to ends the process, and a response can fail after its handler has moved on
 * (a write after `end()`, e.g. a live stream ended on one tick and written on the next; a socket
 * torn down mid-write). Such a failure ends that one request and is logged (issue 14).
 */
export function guardStreams(logger: Logger) {
  return function guardStreams(req: Request, res: Response, next: NextFunction) {
    const onError = (err: Error & { code?: string }) => {
      // A write after the end is a bug worth seeing; a client going away is ordinary.
      const level = err.code === 'ERR_STREAM_WRITE_AFTER_END' ? 'error' : 'debug';
      logger[level]({ err, method: req.method, path: req.path }, 'request stream failed');
    };
    req.on('error', onError);
    res.on('error', onError);
    next();
  };
}
