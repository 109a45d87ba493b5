import { AI_RESPONSES, BATCHES, FILES } from '../../plugins/sdk.ts';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { AI_USAGE } from '../ai/quota.ts';
import { type BatchClaims, createBatchClaims } from './batch-claims.ts';
import { batchEvents } from './batch-events.ts';
import { type LineResult, tableBatchStore } from './batch-store.ts';
import { batchRoutes } from './routes.ts';
import { type BatchRunner, createBatchRunner } from './runner.ts';
import { batchSettings } from './settings.ts';
import { AI_QUEUE, type BatchRecord, batchView } from './types.ts';

/** OpenAI's Batch API over the AI queue: the routes are in routes.ts, the work in runner.ts. */
export function batchesApi(ctx: RelayContext): Subsystem {
  const settings = batchSettings(ctx.config.sections);
  const store = tableBatchStore(
    ctx.storage.tables.table<BatchRecord>('batches', 'large'),
    ctx.storage.tables.table<LineResult>('batch_lines', 'large'),
  );
  const events = batchEvents(ctx.eventService, ctx.newId, () => ctx.clock.now());
  let runner: BatchRunner | null = null;
  let claims: BatchClaims | null = null;
  // For workflow steps and other subsystems: read a batch by id (as GET /v1/batches/:id shows it).
  ctx.services.provide(BATCHES, {
    get: (id) => (store.get(id) ? batchView(store.get(id) as BatchRecord) : undefined),
  });

  return {
    name: 'batches',
    routes(http) {
      batchRoutes(http, { ctx, store, running: () => (runner && claims ? { runner, claims } : null) });
    },
    async start() {
      await store.open();
      const queue = ctx.services.get(AI_QUEUE);
      const files = ctx.services.get(FILES);
      if (!queue || !files) {
        ctx.logger.warn('no AI queue is running: batches cannot be created or resumed');
        return;
      }
      runner = createBatchRunner({
        store,
        files,
        queue,
        responses: ctx.services.get(AI_RESPONSES),
        events,
        clock: ctx.clock,
        newId: ctx.newId,
        settings,
        jsonDepth: ctx.config.limits.jsonDepth,
        logger: ctx.logger,
        onStopped: (id, finished) => claims?.stopped(id, finished),
        recordUsage: (batch, model, used) =>
          ctx.services.get(AI_USAGE)?.record(model, ctx.clock.now(), 'completed', used, batch.owner ?? null) ?? Promise.resolve(),
      });
      claims = createBatchClaims(ctx, store, runner);
      await claims.start();
    },
    async stop() {
      await claims?.stop();
      await store.close();
    },
  };
}
