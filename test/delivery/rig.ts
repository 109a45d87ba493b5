// A delivery engine and its coordination over memory tables, as a relay of one process wires them,
// for tests that drive them directly.
import { LocalCluster } from '../../server/cluster/cluster.ts';
import { DeliveryClaims } from '../../server/delivery/claims.ts';
import { DELIVERY_DEFAULTS } from '../../server/delivery/config.ts';
import { DeliveryCoordination } from '../../server/delivery/coordination.ts';
import { TableDeliveryStore } from '../../server/delivery/delivery-store.ts';
import { createDestinationPolicy } from '../../server/outbound/destination-policy.ts';
import { TableEndpointStore } from '../../server/delivery/endpoint-store.ts';
import { DeliveryEngine, type EngineDeps } from '../../server/delivery/engine.ts';
import { FanOut, type FanOutDeps } from '../../server/delivery/fanout.ts';
import { createIdFactory } from '../../server/ids.ts';
import type { EndpointHealth } from '../../server/delivery/health.ts';
import { generateSecret } from '../../server/delivery/signing.ts';
import { fetchTransport } from '../../server/delivery/transport.ts';
import type { EndpointRow } from '../../server/delivery/types.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { memoryTables } from '../../server/store/memory-table.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

/** An enabled endpoint with default settings and a fresh secret, created at `createdAt`. */
export function endpointRow(id: string, url: string, createdAt: number): EndpointRow {
  return {
    id,
    url,
    description: '',
    filter: { sources: null, types: null },
    headers: {},
    enabled: true,
    paused: false,
    uid: null,
    metadata: {},
    disabled_reason: null,
    disabled_at: null,
    concurrency: null,
    rate_limit: null,
    ordered: false,
    secret: generateSecret(),
    previous_secrets: [],
    created_at: createdAt,
    updated_at: createdAt,
    failing_since: null,
    last_error: null,
  };
}

/** Stores, claims, engine and coordination on memory tables; endpoint health does nothing. */
export function deliveryRig(clock: FakeClock, instance: string, events: EngineDeps['events']) {
  const logger = createLogger({ level: 'silent' });
  const store = new TableDeliveryStore(memoryTables);
  const endpoints = new TableEndpointStore(memoryTables);
  const cluster = new LocalCluster(instance);
  const claims = new DeliveryClaims(cluster, () => {});
  const noHealth = { succeeded: async () => {}, failed: async () => {} } as unknown as EndpointHealth;
  const engine = new DeliveryEngine({
    settings: DELIVERY_DEFAULTS,
    clock,
    transport: fetchTransport(fetch),
    policy: createDestinationPolicy({}),
    store,
    endpoints,
    events,
    health: noHealth,
    metrics: () => null,
    logger,
    claims,
  });
  const coordination = new DeliveryCoordination({ cluster, claims, store, engine, clock, logger });
  return { logger, store, endpoints, engine, coordination };
}

/**
 * Fan-out's creation of deliveries alone (the engine is stopped, nothing is sent), on a fake clock:
 * `fanOut` makes a FanOut over the given cursor and event log, as a relay (or a new leader) would.
 */
export async function fanOutRig(instance: string) {
  const clock = new FakeClock();
  const newId = createIdFactory(() => clock.now());
  const { logger, store, endpoints, engine, coordination } = deliveryRig(clock, instance, { getRaw: async () => undefined });
  await engine.stop();
  const fanOut = (cursor: FanOutDeps['cursor'], events: FanOutDeps['events']) =>
    new FanOut({
      clock,
      newId,
      logger,
      store,
      endpoints,
      cursor,
      events,
      attempts: () => 8,
      create: (rows) => coordination.create(rows),
    });
  return { clock, newId, store, endpoints, fanOut };
}
