import express, { type Express } from 'express';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { createAuth } from './auth.ts';
import { ingestRouter } from '../ingest/routes.ts';
import { errorHandler, notFound } from './errors.ts';
import { assertJsonDepth } from '../json-depth.ts';
import { securityHeaders } from './security-headers.ts';
import { guardStreams } from './stream-errors.ts';

/** Builds the Express app: ops routes, ingest (raw bytes), /v1 (JSON), subsystem routes, errors. */
export function createApp(ctx: RelayContext, subsystems: Subsystem[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('query parser', 'simple');
  app.use(guardStreams(ctx.logger));
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

  app.use(ingestRouter(ctx));

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
