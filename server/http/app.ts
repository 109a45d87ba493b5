import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import proxyaddr from 'proxy-addr';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { createAuth } from './auth.ts';
import { directIngest } from '../ingest/direct.ts';
import { createIntake, type Intake } from '../ingest/intake.ts';
import { ingestRouter } from '../ingest/routes.ts';
import { errorHandler, notFound } from './errors.ts';
import { assertJsonDepth } from '../json-depth.ts';
import { securityHeaders } from './security-headers.ts';
import { guardStreams, streamGuard } from './stream-errors.ts';

export interface RelayHttp {
  app: Express;
  /** The HTTP server's request listener: the direct ingest path first, then the app. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
}

/** The relay's HTTP side: the Express app and, in front of it, the direct ingest path (ingest/direct.ts). */
export function createHttp(ctx: RelayContext, subsystems: Subsystem[]): RelayHttp {
  const intake = createIntake(ctx);
  const guard = streamGuard(ctx.logger);
  const app = createApp(ctx, subsystems, intake, guard);
  // Compiled once by app.set('trust proxy'): the direct path finds the client as req.ip would.
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const direct = directIngest({
    intake,
    bodyLimit: ctx.config.limits.bodyBytes,
    guard,
    clientIp: (req) => proxyaddr(req, trust),
    fallback: app,
  });
  return {
    app,
    handleRequest(req, res) {
      if (!direct(req, res)) app(req, res);
    },
  };
}

/** Builds the Express app: ops routes, ingest (raw bytes), /v1 (JSON), subsystem routes, errors. */
function createApp(
  ctx: RelayContext,
  subsystems: Subsystem[],
  intake: Intake,
  guard: (req: IncomingMessage, res: ServerResponse) => void,
): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');
  app.use(guardStreams(guard));
  app.use(securityHeaders());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await ctx.storage.events.writable();
    res
      .status(ok ? 200 : 503)
      .json(ok ? { status: 'ready' } : { error: { code: 'store_unavailable', message: 'The store is not writable.' } });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  app.use(ingestRouter(ctx, intake));

  const auth = createAuth(ctx.credentials);
  const v1 = express.Router();
  v1.use(auth.anyToken);
  const { jsonBodyBytes, jsonDepth } = ctx.config.limits;
  // verify sees the raw bytes before JSON.parse: a body nested past the limit is refused there.
  v1.use(express.json({ limit: jsonBodyBytes, verify: (_req, _res, bytes) => assertJsonDepth(bytes, jsonDepth) }));
  const root = express.Router();
  for (const subsystem of subsystems) subsystem.routes?.({ v1, root, auth });
  app.use('/v1', v1);
  app.use(root);

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
