import { AI_RESPONSES, AI_UPSTREAMS, DELIVERY, type DeliveryService } from '../../plugins/sdk.ts';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { resolveAiConfig } from './config.ts';
import { createIdempotency } from './idempotency.ts';
import { createAiMetrics } from './metrics.ts';
import { createModelCatalogue } from './models.ts';
import { openaiRoutes } from './openai-routes.ts';
import { createAiQueue } from './queue.ts';
import { parseCreateParams } from './request.ts';
import type { Response } from './response-object.ts';
import { createTableResponseStore } from './response-store.ts';
import { createResponsesService } from './responses-service.ts';
import { responsesRoutes } from './routes.ts';
import { createUpstreamRouter } from './upstreams.ts';
import { createUsageStore } from './usage.ts';
import { createKeySlots } from './key-slots.ts';
import { AI_QUOTA, AI_USAGE, createAiQuota } from './quota.ts';
import { KEYS_SERVICE } from '../keys/service.ts';
import { AI_QUEUE } from '../batches/types.ts';
import { resolveWebhookSecret, sharedWebhookSecret } from './webhook-secret.ts';

const SWEEP_EVERY_MS = 60 * 60 * 1000;

/** AI background mode: the upstream queue (`ai.queue`) and the Responses API (`ai.responses`). */
export function aiSubsystem(ctx: RelayContext): Subsystem {
  const config = resolveAiConfig(ctx.config.sections.ai);
  const router = createUpstreamRouter(config.upstreams, ctx.outbound.upstreamFetch);
  const queue = createAiQueue(router, config);
  const metrics = createAiMetrics(ctx.metrics, queue);
  const store = createTableResponseStore(ctx.storage.tables);
  const usage = createUsageStore(ctx.storage.tables, ctx.cluster.shared ? ctx.cluster.instanceId : null);
  const idempotency = createIdempotency(ctx.storage.tables, {
    clock: ctx.clock,
    shared: ctx.cluster.shared,
    refresh: (id) => store.refresh(id),
  });
  let secret = '';
  let delivery: DeliveryService | undefined;
  const slots = createKeySlots(ctx.cluster, ctx.clock);
  const quota = createAiQuota(usage, () => ctx.clock.now());
  ctx.services.provide(AI_QUOTA, quota);
  ctx.services.provide(AI_USAGE, usage);
  const service = createResponsesService({
    ctx,
    config,
    store,
    usage,
    queue,
    router,
    metrics,
    webhooksEnabled: () => delivery !== undefined,
    async slotFor(row, signal) {
      const limit =
        row.owner && row.response.background ? ctx.services.get(KEYS_SERVICE)?.limitsOf(row.owner).ai_concurrent : undefined;
      return row.owner && limit ? slots.acquire(row.owner, limit, signal) : null;
    },
    async onTerminal(row, eventId) {
      if (row.webhook_url && delivery) await delivery.enqueueForUrl({ url: row.webhook_url, secret, eventId });
    },
  });
  ctx.services.provide(AI_QUEUE, queue);
  ctx.services.provide(AI_UPSTREAMS, { client: (name: string) => router.all.find((u) => u.name === name)?.client });
  ctx.services.provide(AI_RESPONSES, {
    create: async (body: Record<string, unknown>, opts?: { idempotencyKey?: string }): Promise<Response> => {
      const full = parseCreateParams({ ...body, background: true }, ctx.newId);
      if (opts?.idempotencyKey)
        return idempotency.once(
          opts.idempotencyKey,
          { ...body, background: true },
          {
            newId: () => ctx.newId('resp'),
            create: (id) => service.create(full, id),
            find: (id) => service.retrieve(id),
          },
        );
      return service.create(full);
    },
    retrieve: (id: string) => service.retrieve(id),
    cancel: (id: string) => service.cancel(id),
    waitForTerminal: (id: string, signal?: AbortSignal) => service.waitForTerminal(id, signal),
  });
  const openStreams = new Set<() => void>();
  let sweepTimer: { clear(): void } | undefined;
  async function sweep(): Promise<void> {
    const cutoff = ctx.clock.now() - config.retentionDays * 86_400_000;
    const removed = await store.sweep(cutoff, config.maxResponses);
    await idempotency.sweep(ctx.clock.now());
    if (removed) ctx.logger.info({ removed }, 'old responses removed');
  }
  function scheduleSweep(): void {
    sweepTimer = ctx.clock.setTimeout(() => {
      sweep().then(scheduleSweep, (err: unknown) => ctx.logger.error({ err }, 'response sweep failed'));
    }, SWEEP_EVERY_MS);
  }

  return {
    name: 'ai',
    routes(http) {
      responsesRoutes(http, { ctx, config, service, store, usage, quota, idempotency, router, openStreams });
      const models = createModelCatalogue(router, ctx.clock, ctx.logger);
      openaiRoutes(http, { ctx, config, router, queue, usage, metrics, models, quota });
    },
    async start() {
      delivery = ctx.services.get(DELIVERY);
      const onDisk = ctx.config.store.driver !== 'memory';
      const resolved = ctx.cluster.shared
        ? await sharedWebhookSecret(config.webhookSecret, ctx.storage.tables)
        : await resolveWebhookSecret(config.webhookSecret, onDisk ? ctx.config.dataDir : null);
      secret = resolved.secret;
      if (resolved.file) ctx.logger.info({ file: resolved.file }, 'the AI webhook signing secret is kept in this file');
      await store.open();
      await usage.open();
      await idempotency.open();
      await sweep();
      await service.recover();
      scheduleSweep();
    },
    closing() {
      for (const end of [...openStreams]) end();
    },
    async stop() {
      sweepTimer?.clear();
      await service.shutdown();
      await idempotency.close();
      await usage.close();
      await store.close();
    },
  };
}
