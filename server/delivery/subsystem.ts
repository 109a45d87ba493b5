import { DELIVERY, type DeliveryService } from '../../plugins/sdk.ts';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { DeliveryClaims } from './claims.ts';
import { resolveDeliverySettings } from './config.ts';
import { DeliveryCoordination } from './coordination.ts';
import { TableDeliveryStore } from './delivery-store.ts';
import { TableCursorStore, TableEndpointStore } from './endpoint-store.ts';
import { DeliveryEngine } from './engine.ts';
import { FanOut } from './fanout.ts';
import { FanOutRole } from './fanout-role.ts';
import { EndpointHealth } from './health.ts';
import { DeliveryHousekeeping } from './housekeeping.ts';
import { createDeliveryMetrics, type DeliveryMetrics } from './metrics.ts';
import { DeliveryOperations } from './operations.ts';
import { deliveryRoutes } from './routes.ts';
import { fetchTransport, requestTransport } from './transport.ts';
import { deliveryView } from './views.ts';
import { EVENT_DELIVERIES } from '../events/annotations.ts';

/**
 * Downstream delivery: endpoints, fan-out of stored events into deliveries, signed attempts with
 * retries, endpoint health. See docs/delivery.md.
 */
export function createDelivery() {
  return function delivery(ctx: RelayContext): Subsystem {
    const settings = resolveDeliverySettings(ctx.config.sections.delivery);
    // The relay's one destination policy (delivery.destinations), checked before each attempt and
    // again, through ctx.outbound.fetch, on the address each connection goes to.
    const { policy } = ctx.outbound;
    const store = new TableDeliveryStore(ctx.storage.tables);
    const endpoints = new TableEndpointStore(ctx.storage.tables);
    const cursor = new TableCursorStore(ctx.storage.tables);
    const claims = new DeliveryClaims(
      ctx.cluster,
      (err) => ctx.logger.error({ err }, 'could not release delivery claims'),
      (ids) => store.refresh(ids),
    );
    const health = new EndpointHealth({
      endpoints,
      eventService: ctx.eventService,
      logger: ctx.logger,
      disableAfterMs: settings.disableAfterMs,
    });
    let metrics: DeliveryMetrics | null = null;
    const engine = new DeliveryEngine({
      settings,
      clock: ctx.clock,
      // undici's dispatch on the guarded dispatcher; an injected fetch (tests, embedding) when there is one.
      transport: ctx.outbound.dispatcher ? requestTransport(ctx.outbound.dispatcher) : fetchTransport(ctx.outbound.fetch),
      policy,
      store,
      endpoints,
      events: ctx.storage.events,
      health,
      metrics: () => metrics,
      logger: ctx.logger,
      claims,
    });
    const coordination = new DeliveryCoordination({
      cluster: ctx.cluster,
      claims,
      store,
      engine,
      clock: ctx.clock,
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
      coordination,
    });
    health.onDisabled((endpoint) => ops.failPending(endpoint, `endpoint disabled: ${endpoint.disabled_reason}`));
    const fanOut = new FanOutRole({
      cluster: ctx.cluster,
      bus: ctx.bus,
      clock: ctx.clock,
      logger: ctx.logger,
      endpoints,
      cursor,
      newFanOut: () =>
        new FanOut({
          clock: ctx.clock,
          newId: ctx.newId,
          logger: ctx.logger,
          store,
          endpoints,
          cursor,
          events: ctx.storage.events,
          attempts: () => settings.scheduleMs.length,
          create: (rows) => coordination.create(rows),
        }),
    });
    const service: DeliveryService = {
      enqueueForEndpoint: (endpointId, eventId) => ops.enqueueForEndpoint(endpointId, eventId),
      enqueueForUrl: (input) => ops.enqueueForUrl(input),
    };
    ctx.services.provide(DELIVERY, service);
    ctx.services.provide(EVENT_DELIVERIES, {
      forEvent: (eventId) =>
        store.listForEvent(eventId).map((row) => ({
          ...deliveryView(row, engine.isSending(row.id)),
          endpoint_url: row.endpoint_id ? (endpoints.get(row.endpoint_id)?.url ?? null) : null,
        })),
    });

    /** Endpoints another instance changed: new limits here, its deliveries held here failed if it is gone. */
    const endpointsChanged = (ids: readonly string[]) => {
      for (const id of ids) {
        const endpoint = endpoints.get(id);
        if (endpoint) engine.endpointChanged(endpoint);
        if (endpoint?.enabled) continue;
        const reason = endpoint ? `endpoint disabled: ${endpoint.disabled_reason}` : 'endpoint deleted';
        ops
          .failPending({ id }, reason)
          .catch((err: unknown) => ctx.logger.error({ err, endpoint: id }, 'could not fail deliveries'));
      }
      fanOut.endpointsChanged(ids);
    };
    let unlistenEndpoints: (() => void) | null = null;
    const housekeeping = new DeliveryHousekeeping({
      settings,
      clock: ctx.clock,
      logger: ctx.logger,
      store,
      sweep: () => coordination.sweep(),
      leading: () => fanOut.leading,
    });

    return {
      name: 'delivery',
      routes(http) {
        deliveryRoutes(http, { ops, store, engine, endpoints: () => endpoints.list() });
      },
      async start() {
        await Promise.all([store.open(), endpoints.open(), cursor.open()]);
        metrics = createDeliveryMetrics(ctx.metrics.registry, {
          pendingCount: () => store.pendingCount(),
          inFlightCount: () => engine.inFlightCount,
          oldestDueAgeSeconds: () => engine.oldestDueAgeSeconds(),
        });
        coordination.start();
        unlistenEndpoints = endpoints.onChange(endpointsChanged);
        // Pending deliveries no live instance holds (all of them, in one process) resume here.
        const resumed = await coordination.takeOver(store.pending().map((row) => row.id));
        if (resumed > 0) ctx.logger.info({ pending: resumed }, 'resumed pending deliveries');
        fanOut.start();
        housekeeping.start();
      },
      async stop() {
        unlistenEndpoints?.();
        await housekeeping.stop();
        await fanOut.stop();
        await coordination.close();
        await engine.stop();
        await coordination.handOver();
        await Promise.all([store.close(), endpoints.close(), cursor.close()]);
      },
    };
  };
}

export const delivery = createDelivery();
