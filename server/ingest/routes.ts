import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { toHttpProblem } from '../http/errors.ts';
import { ingestConfig } from './config.ts';
import { eventType } from './event-type.ts';
import { rejectionHeaders, requestHeaders } from './headers.ts';
import { parseBody } from './parse-body.ts';
import { configSourceLookup, SOURCES, type SourceLookup } from '../sources/registry.ts';

/**
 * POST /hooks/:source. Raw bytes only (no JSON parser runs before verification); the 200 goes out only
 * after the event is durable; every refusal is counted and logged for the console.
 */
export function ingestRouter(ctx: RelayContext): Router {
  // Config file sources and those made through /v1/sources, looked up per request so changes apply at once.
  const sources = ctx.services.get(SOURCES) ?? configSourceLookup(ctx.config.sources);
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
  const { metrics, clock } = ctx;
  // A source's own signature header stays, even when named like a credential: it is derived from the
  // secret, not the secret, and receivers may verify it.
  const { redactHeaders } = ingestConfig(ctx.config);
  const redacted = new Map(
    ctx.config.sources.map((s) => {
      const own = s.verify.header?.toLowerCase();
      return [s.name, own && redactHeaders.has(own) ? new Set([...redactHeaders].filter((h) => h !== own)) : redactHeaders];
    }),
  );
  const router = express.Router();

  // An unknown source is refused before its body is read.
  function knownSource(req: Request, _res: Response, next: NextFunction) {
    const source = String(req.params.source);
    next(sources.verifier(source) ? undefined : new RelayError('source_not_found', `No source named "${source}" is configured.`));
  }
  const rawBody = express.raw({ type: () => true, limit: ctx.config.limits.bodyBytes });

  router.post('/hooks/:source', knownSource, rawBody, async function ingest(req: Request, res: Response) {
    const source = String(req.params.source);
    const started = performance.now();
    const verifier = sources.verifier(source);
    // Deleted while its body was arriving.
    if (!verifier) throw new RelayError('source_not_found', `No source named "${source}" is configured.`);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const { all: headers, kept } = requestHeaders(req.headers, redacted.get(source));
    const { providerId, scheme } = verifier.verify({ headers, body, now: clock.now() });
    const contentType = headers['content-type'] ?? 'application/octet-stream';
    const payload = parseBody(body, contentType, ctx.config.limits.jsonDepth);
    const writeStarted = performance.now();
    const { event, duplicate } = await ctx.eventService.record({
      source,
      type: eventType(headers, payload),
      provider_id: providerId,
      headers: kept,
      payload,
      verified: { scheme },
      raw: body,
      content_type: contentType,
      client_ip: req.ip,
    });
    metrics.storeWriteSeconds.observe((performance.now() - writeStarted) / 1000);
    metrics.ingest.inc({ source, outcome: duplicate ? 'duplicate' : 'accepted' });
    metrics.ingestSeconds.observe({ source }, (performance.now() - started) / 1000);
    // The answer every webhook waits for, written directly: res.json() would also hash it for an ETag
    // (a POST's answer is never revalidated) and look its type up again, on the hottest route.
    const answer = JSON.stringify({ id: event.id, duplicate });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
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
