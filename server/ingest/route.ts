import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { RelayContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { eventType } from './event-type.ts';
import { eventHeaders, flatHeaders, rejectionHeaders } from './headers.ts';
import { parseBody } from './parse-body.ts';
import { createVerifier, type Verifier } from './verifiers/index.ts';

/**
 * POST /hooks/:source. Raw bytes only (no JSON parser runs before verification); the 200 goes out only
 * after the event is durable; every refusal is counted and logged for the console.
 */
export function ingestRouter(ctx: RelayContext): Router {
  const verifiers = new Map<string, Verifier>();
  ctx.config.sources.forEach((source, i) => {
    verifiers.set(source.name, createVerifier(source, i));
    if (source.verify.scheme === 'none') {
      ctx.logger.warn({ source: source.name }, 'source accepts UNSIGNED webhooks (scheme none, insecure: true)');
    }
  });
  const { metrics, storage, clock } = ctx;
  const router = express.Router();

  const rawBody = express.raw({ type: () => true, limit: ctx.config.limits.bodyBytes });

  router.post('/hooks/:source', rawBody, async function ingest(req: Request, res: Response) {
    const source = String(req.params.source);
    const started = performance.now();
    const verifier = verifiers.get(source);
    if (!verifier) throw new HttpError('source_not_found', `No source named "${source}" is configured.`);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headers = flatHeaders(req.headers);
    const { providerId, scheme } = verifier.verify({ headers, body, now: clock.now() });
    const contentType = headers['content-type'] ?? 'application/octet-stream';
    const payload = parseBody(body, contentType);
    const writeStarted = performance.now();
    const { event, duplicate } = await ctx.events.record({
      source,
      type: eventType(headers, payload),
      provider_id: providerId,
      headers: eventHeaders(req.headers),
      payload,
      verified: { scheme },
      raw: body,
      content_type: contentType,
    });
    metrics.storeWriteSeconds.observe((performance.now() - writeStarted) / 1000);
    metrics.ingest.inc({ source, outcome: duplicate ? 'duplicate' : 'accepted' });
    metrics.ingestSeconds.observe({ source }, (performance.now() - started) / 1000);
    res.status(200).json({ id: event.id, duplicate });
  });

  // Refusals on this route are recorded here, then passed on to the one error handler.
  router.use('/hooks/:source', function recordRejection(error: unknown, req: Request, _res: Response, next: NextFunction) {
    const source = String(req.params.source ?? '');
    const status = error instanceof HttpError ? error.status : ((error as { status?: number }).status ?? 500);
    const code = error instanceof HttpError ? error.code : status === 413 ? 'payload_too_large' : 'bad_request';
    metrics.ingest.inc({ source: verifiers.has(source) ? source : '(unknown)', outcome: code });
    storage.events
      .recordRejection({
        at: new Date(clock.now()).toISOString(),
        source,
        status,
        code,
        ip: req.ip ?? '',
        headers: rejectionHeaders(req.headers),
      })
      .catch((e: unknown) => ctx.logger.error({ err: e }, 'could not record a rejection'));
    next(error);
  });
  return router;
}
