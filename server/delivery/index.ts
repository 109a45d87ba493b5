import type { RelayContext, Routers, Subsystem } from '../context.ts';
import { defineErrorCodes } from '../errors.ts';
import { resolveDeliverySettings } from './config.ts';
import { TableDeliveryStore } from './delivery-store.ts';
import { createDestinationPolicy, type Resolver } from './destination-policy.ts';
import { TableCursorStore, TableEndpointStore } from './endpoint-store.ts';
import { DeliveryEngine } from './engine.ts';
import { FanOut } from './fanout.ts';
import { EndpointHealth } from './health.ts';
import { createDeliveryMetrics, type DeliveryMetrics } from './metrics.ts';
import { DeliveryOperations } from './operations.ts';
import { deliveryRoutes } from './routes.ts';

defineErrorCodes({ destination_refused: 400, endpoint_disabled: 409 });

/** The `delivery` service other subsystems use (workflow deliver step, AI webhook_url). */
export interface DeliveryService {
  enqueueForEndpoint(endpointId: string, eventId: string): Promise<{ id: string }>;
  enqueueForUrl(input: { url: string; secret: string; eventId: string }): Promise<{ id: string }>;
}

/**
 * Downstream delivery: endpoints, fan-out of stored events into deliveries, signed attempts with
 * retries, endpoint health. See docs/delivery.md.
 */
export function createDelivery(options: { resolver?: Resolver } = {}) {
  return function delivery(ctx: RelayContext): Subsystem {
    const settings = resolveDeliverySettings(ctx.config.sections.delivery);
    const policy = createDestinationPolicy(settings.destinations, options.resolver);
    const store = new TableDeliveryStore(ctx.storage.tables);
    const endpoints = new TableEndpointStore(ctx.storage.tables);
    const cursor = new TableCursorStore(ctx.storage.tables);
    let metrics: DeliveryMetrics | null = null;
    const engine: DeliveryEngine = new DeliveryEngine({
      settings,
      clock: ctx.clock,
      fetch: ctx.fetch,
      policy,
      store,
      endpoints,
      events: ctx.storage.events,
      health: () => health,
      metrics: () => metrics,
      logger: ctx.logger,
    });
    const ops = new DeliveryOperations({
      settings,
      clock: ctx.clock,
      newId: ctx.newId,
      policy,
      store,
      endpoints,
      events: ctx.storage.events,
      engine,
    });
    const health = new EndpointHealth({
      endpoints,
      events: ctx.events,
      logger: ctx.logger,
      disableAfterMs: settings.disableAfterMs,
      onDisabled: (endpoint) => ops.failPending(endpoint, `endpoint disabled: ${endpoint.disabled_reason}`),
    });
    const fanOut = new FanOut({
      clock: ctx.clock,
      newId: ctx.newId,
      logger: ctx.logger,
      store,
      endpoints,
      cursor,
      events: ctx.storage.events,
      attempts: () => settings.scheduleMs.length,
      created: (rows) => {
        for (const row of rows) engine.schedule(row);
      },
    });
    const service: DeliveryService = {
      enqueueForEndpoint: (endpointId, eventId) => ops.enqueueForEndpoint(endpointId, eventId),
      enqueueForUrl: (input) => ops.enqueueForUrl(input),
    };
    ctx.services.provide('delivery', service);

    let unsubscribe: (() => void) | null = null;
    let recovering: Promise<void> = Promise.resolve();
    let sweeper: { clear(): void } | null = null;
    let lastPrune = 0;
    const sweep = () => {
      const found = engine.sweep();
      if (found > 0) ctx.logger.warn({ found }, 'sweeper re-queued pending deliveries that nothing was handling');
      const now = ctx.clock.now();
      if (now - lastPrune > 3_600_000) {
        lastPrune = now;
        store
          .prune(now - settings.retentionMs, settings.maxFinishedDeliveries)
          .catch((err: unknown) => ctx.logger.error({ err }, 'pruning deliveries failed'));
      }
      sweeper = ctx.clock.setTimeout(sweep, settings.sweepIntervalMs);
    };

    return {
      name: 'delivery',
      routes({ v1 }: Routers) {
        deliveryRoutes(v1, { auth: ctx.auth, ops, store, engine, endpoints: () => endpoints.list() });
      },
      async start() {
        await Promise.all([store.open(), endpoints.open(), cursor.open()]);
        metrics = createDeliveryMetrics(ctx.metrics.registry, {
          pendingCount: () => store.pendingCount(),
          inFlightCount: () => engine.inFlightCount,
          oldestDueAgeSeconds: () => engine.oldestDueAgeSeconds(),
        });
        const pending = store.pending().sort((a, b) => (a.id < b.id ? -1 : 1));
        for (const row of pending) engine.schedule(row);
        if (pending.length > 0) ctx.logger.info({ pending: pending.length }, 'resumed pending deliveries');
        // Subscribe before recovering, so nothing published meanwhile is missed; both paths skip
        // deliveries that already exist. Recovery runs alongside (a large backlog must not keep the
        // relay from listening); stop() waits for it.
        unsubscribe = ctx.bus.subscribe(fanOut.onEvent);
        recovering = fanOut.recover().then(
          (recovered) => {
            if (recovered > 0) ctx.logger.info({ recovered }, 'created deliveries for events stored before a restart');
          },
          (err: unknown) => ctx.logger.error({ err }, 'fan-out recovery failed; the next start retries it'),
        );
        sweeper = ctx.clock.setTimeout(sweep, settings.sweepIntervalMs);
      },
      async stop() {
        unsubscribe?.();
        sweeper?.clear();
        fanOut.stop();
        await recovering;
        await fanOut.flush();
        await engine.stop();
        await Promise.all([store.close(), endpoints.close(), cursor.close()]);
      },
    };
  };
}

export const delivery = createDelivery();
