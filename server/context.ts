import type { Server } from 'node:http';
import type { Router } from 'express';
import type { EventBus } from './bus.ts';
import type { Cluster } from './cluster/cluster.ts';
import type { Clock } from './clock.ts';
import type { RelayConfig } from './config/types.ts';
import type { EventService } from './events/event-service.ts';
import type { Auth } from './http/auth.ts';
import type { IdFactory } from './ids.ts';
import type { Logger } from './ops/logger.ts';
import type { Metrics } from './ops/metrics.ts';
import type { Services } from './services.ts';
import type { Outbound } from './outbound/outbound.ts';
import type { Storage } from './store/driver.ts';

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
  events: EventService;
  metrics: Metrics;
  auth: Auth;
  /** The injected fetch (tests, embedding) or the global one; outbound requests use `outbound`. */
  fetch: typeof fetch;
  /** Every way out, under one destination policy (server/outbound/outbound.ts). */
  outbound: Outbound;
  services: Services;
}

export interface Routers {
  /** Mounted at /v1 after JSON body parsing; apply ctx.auth.admin or ctx.auth.reader per route. */
  v1: Router;
  /** Mounted at / (for routes outside /v1, such as the console). */
  root: Router;
}

/** A part of the relay (live stream, delivery, workflows, AI). Start and stop are awaited in order. */
export interface Subsystem {
  readonly name: string;
  routes?(routers: Routers): void;
  /** Called with the HTTP server once it exists (Socket.IO attaches here). */
  attach?(server: Server): void;
  start?(): Promise<void>;
  /** The server stops accepting: end long-lived connections (streams, websockets) so it can close. */
  closing?(): void;
  /** Stops taking work and drains; called in reverse start order. */
  stop?(): Promise<void>;
}

export type SubsystemFactory = (ctx: RelayContext) => Subsystem | Promise<Subsystem>;
