import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { RelayContext } from '../context.ts';
import { toHttpProblem } from '../http/errors.ts';
import { directRefusal, sendAnswer } from './direct.ts';
import { rejectionHeaders } from './headers.ts';
import { type Intake, sourceNotFound } from './intake.ts';
import type { SourceLookup } from '../sources/registry.ts';

/**
 * POST /hooks/:source on the Express app. Raw bytes only (no JSON parser runs before verification);
 * the 200 goes out only after the event is durable; every refusal is counted and logged for the
 * console. Most webhooks are taken before they reach Express (ingest/direct.ts); this route answers
 * the rest and every refusal, including those the direct path met.
 */
export function ingestRouter(ctx: RelayContext, intake: Intake): Router {
  const { sources } = intake;
  for (const source of ctx.config.sources) {
    if (source.verify.scheme === 'none') {
      ctx.logger.warn({ source: source.name }, 'source accepts UNSIGNED webhooks (scheme none, insecure: true)');
    }
  }
  if (ctx.config.sources.length === 0) {
    // A first start without a config file: every webhook would get 404 source_not_found, so say why now.
    ctx.logger.warn(
      { config: ctx.config.file },
      'no sources are configured, so every webhook is refused until one is made (POST /v1/sources or the console) or the config gets a sources section (see examples/hookrelay.yaml)',
    );
  }
  const router = express.Router();

  // An unknown source is refused before its body is read.
  function knownSource(req: Request, _res: Response, next: NextFunction) {
    const refused = directRefusal(req);
    if (refused) return next(refused.error);
    const source = String(req.params.source);
    next(sources.verifier(source) ? undefined : sourceNotFound(source));
  }
  const rawBody = express.raw({ type: () => true, limit: ctx.config.limits.bodyBytes });

  router.post('/hooks/:source', knownSource, rawBody, async function ingest(req: Request, res: Response) {
    const source = String(req.params.source);
    const verifier = sources.verifier(source);
    // Deleted while its body was arriving.
    if (!verifier) throw sourceNotFound(source);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    sendAnswer(res, await intake.accept({ source, verifier, headers: req.headers, body, clientIp: req.ip }));
  });

  router.use('/hooks/:source', rejectionRecorder(ctx, sources));
  return router;
}

/** Refusals on the ingest route are counted and kept in the bounded rejection log, then handed on. */
function rejectionRecorder(ctx: RelayContext, sources: SourceLookup) {
  return function recordRejection(error: unknown, req: Request, _res: Response, next: NextFunction) {
    const source = String(req.params.source ?? '');
    // The same code and status the error handler will answer with.
    const { status, code } = toHttpProblem(error);
    const known = sources.verifier(source) !== undefined;
    // Unknown names share one label, so junk requests cannot grow the metric's label set.
    ctx.metrics.ingest.inc({ source: known ? source : '(unknown)', outcome: code });
    // Refusals for configured sources are what operators look for; scanners hitting other names are noise.
    ctx.logger[known ? 'info' : 'debug']({ source: source.slice(0, 100), status, code, ip: req.ip }, 'webhook refused');
    ctx.storage.events
      .recordRejection({
        at: new Date(ctx.clock.now()).toISOString(),
        source: source.slice(0, 100),
        status,
        code,
        ip: req.ip ?? '',
        headers: rejectionHeaders(req.headers),
      })
      .catch((e: unknown) => ctx.logger.error({ err: e }, 'could not record a rejection'));
    next(error);
  };
}
