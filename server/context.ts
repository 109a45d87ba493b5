import type { EventBus } from './bus.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { Clock } from './clock.ts';
import type { RelayConfig } from './config/types.ts';
import type { EventService } from './events/event-service.ts';
import type { IdFactory } from './ids.ts';
import type { Logger } from './ops/logger.ts';
import type { Metrics } from './ops/metrics.ts';
import type { Services } from './services.ts';
import type { Outbound } from './outbound/outbound.ts';
import type { Credentials } from './principals.ts';
import type { Storage } from './store/types.ts';

/** Everything a subsystem may use, built once by the composition root (server/main.ts). */
export interface RelayContext {
  config: RelayConfig;
  logger: Logger;
  clock: Clock;
  newId: IdFactory;
  storage: Storage;
  /** Claims, roles and messages among instances sharing the store (server/cluster/cluster.ts). */
  cluster: Cluster;
  bus: EventBus;
  eventService: EventService;
  metrics: Metrics;
  /** Presented tokens to principals; the HTTP guards are in the HttpMount given to routes(). */
  credentials: Credentials;
  /** The injected fetch (tests, embedding) or the global one; outbound requests use `outbound`. */
  fetch: typeof fetch;
  /** Every way out, under one destination policy (server/outbound/outbound.ts). */
  outbound: Outbound;
  services: Services;
}
