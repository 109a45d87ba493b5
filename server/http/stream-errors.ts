import { type IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../ops/logger.ts';

const GUARDED = Symbol('hookrelay.streamsGuarded');

/**
 * Every request and response stream gets an `error` listener before any route sees it: an `error`
 * event nobody listens to ends the process, and a response can fail after its handler has moved on
 * (a write after `end()`, e.g. a live stream ended on one tick and written on the next; a socket
 * torn down mid-write). Such a failure ends that one request and is logged (issue 14).
 *
 * Returns the guard for one request and its response; guarding twice (a request the direct ingest
 * path hands on to the Express app) adds nothing. One listener serves every request: no closure per
 * request on the ingest path.
 */
export function streamGuard(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  function onStreamError(this: IncomingMessage | ServerResponse, err: Error & { code?: string }) {
    const req = this instanceof ServerResponse ? this.req : this;
    // A write after the end is a bug worth seeing; a client going away is ordinary.
    const level = err.code === 'ERR_STREAM_WRITE_AFTER_END' ? 'error' : 'debug';
    logger[level]({ err, method: req.method, path: req.url?.split('?')[0] }, 'request stream failed');
  }
  return (req, res) => {
    const marked = req as IncomingMessage & { [GUARDED]?: true };
    if (marked[GUARDED]) return;
    marked[GUARDED] = true;
    req.on('error', onStreamError);
    res.on('error', onStreamError);
  };
}

/** The guard as the Express app's first middleware. */
export function guardStreams(guard: (req: IncomingMessage, res: ServerResponse) => void) {
  return function guardStreams(req: Request, res: Response, next: NextFunction) {
    guard(req, res);
    next();
  };
}
