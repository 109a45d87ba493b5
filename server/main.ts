import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { createEventBus } from './bus.ts';
import { type Clock, systemClock } from './clock.ts';
import type { RelayConfig } from './config/types.ts';
import type { RelayContext } from './context.ts';
import type { Subsystem, SubsystemFactory } from './subsystem.ts';
import { createEventService } from './events/event-service.ts';
import { createHttp } from './http/app.ts';
import { createIdFactory, type IdFactory } from './ids.ts';
import { resolveAdminToken } from './ops/admin-token.ts';
import { createLogger, type Logger } from './ops/logger.ts';
import { createMetrics } from './ops/metrics.ts';
import { createOutbound } from './outbound/outbound.ts';
import type { Resolver } from './outbound/destination-policy.ts';
import { createCredentials } from './principals.ts';
import { createServices } from './services.ts';
import { lockDataDir } from './store/data-dir-lock.ts';
import { makeDataDirPrivate } from './store/data-dir-modes.ts';
import { createStorage } from './store/driver.ts';
import { defaultSubsystems } from './subsystems.ts';

export interface RelayOptions {
  config: RelayConfig;
  logger?: Logger;
  clock?: Clock;
  fetch?: typeof fetch;
  /** How outbound requests resolve host names (tests map names to local addresses). */
  resolver?: Resolver;
  newId?: IdFactory;
  /** Overrides HOOKRELAY_ADMIN_TOKEN and the data dir's token file. */
  adminToken?: string;
  subsystems?: SubsystemFactory[];
  /** Grace period for open connections on stop. */
  drainMs?: number;
}

export interface Relay {
  readonly ctx: RelayContext;
  readonly adminToken: string;
  readonly server: Server;
  /** The Express app (the server's request listener may be wrapped, e.g. by Socket.IO): for route introspection. */
  readonly app: Express;
  /** http://host:port, once started. */
  url: string;
  start(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The composition root: config → data dir lock → store → bus → subsystems → HTTP. Nothing else
 * constructs these parts. start() and stop() are idempotent and awaited.
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const { config } = options;
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? createIdFactory(() => clock.now());
  const onDisk = config.store.driver !== 'memory';
  if (onDisk) {
    const notOwned = await makeDataDirPrivate(config.dataDir);
    if (notOwned.length > 0) {
      logger.warn(
        { count: notOwned.length, first: notOwned.slice(0, 5) },
        'some files in the data dir belong to another user, so their modes could not be made owner-only (0600/0700): chown them to this user',
      );
    }
  }
  const unlock = onDisk ? await lockDataDir(config.dataDir) : async () => {};
  let opened: { close(): Promise<void> } | null = null;
  try {
    const admin = options.adminToken
      ? { token: options.adminToken, file: null, created: false }
      : await resolveAdminToken(onDisk ? config.dataDir : null, process.env.HOOKRELAY_ADMIN_TOKEN);
    if (admin.file) logger.info({ file: admin.file, created: admin.created }, 'admin token is kept in this file');
    const storage = createStorage({
      driver: config.store.driver,
      dataDir: config.dataDir,
      url: config.store.url,
      schema: config.store.schema,
      retention: config.store.retention,
      maxRejections: config.limits.rejections,
      leaseMs: config.store.leaseSeconds === undefined ? undefined : config.store.leaseSeconds * 1000,
      onError: (err) => logger.error({ err }, 'coordination with other instances failed'),
      now: () => clock.now(),
      newId,
    });
    await storage.events.open();
    opened = storage.events;
    const bus = createEventBus((err, event) => logger.error({ err, event: event.id }, 'an event listener failed'));
    await storage.connectBus?.(bus, (err) => logger.error({ err }, 'the live feed from other instances failed'));
    await storage.cluster.start();
    opened = {
      async close() {
        await storage.cluster.stop();
        await storage.events.close();
      },
    };
    const ctx: RelayContext = {
      config,
      logger,
      clock,
      newId,
      storage,
      cluster: storage.cluster,
      bus,
      eventService: createEventService(storage.events, bus),
      metrics: createMetrics(),
      credentials: createCredentials(admin.token),
      fetch: options.fetch ?? globalThis.fetch,
      outbound: createOutbound({ deliverySection: config.sections.delivery, resolve: options.resolver, fetch: options.fetch }),
      services: createServices(),
    };
    return await assemble(ctx, admin.token, options, unlock);
  } catch (error) {
    // A relay that fails to assemble leaves nothing open behind it.
    await opened?.close().catch(() => {});
    await unlock();
    throw error;
  }
}

async function assemble(
  ctx: RelayContext,
  adminToken: string,
  options: RelayOptions,
  unlock: () => Promise<void>,
): Promise<Relay> {
  const subsystems: Subsystem[] = [];
  for (const factory of options.subsystems ?? defaultSubsystems) subsystems.push(await factory(ctx));
  const { app, handleRequest } = createHttp(ctx, subsystems);
  const server = createServer(handleRequest);
  server.keepAliveTimeout = 5000;
  for (const s of subsystems) s.attach?.(server);
  const started: Subsystem[] = [];
  let starting: Promise<string> | null = null;
  let stopping: Promise<void> | null = null;

  const relay: Relay = {
    ctx,
    adminToken,
    server,
    app,
    url: '',
    start() {
      starting ??= listen().catch(async (error: unknown) => {
        // A subsystem that cannot start (a damaged state file, say) must not leave the data dir locked.
        await teardown();
        throw error;
      });
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => {});
        await teardown();
      })();
      return stopping;
    },
  };

  async function listen(): Promise<string> {
    for (const s of subsystems) {
      await s.start?.();
      started.push(s);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ctx.config.port, ctx.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host;
    relay.url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    ctx.logger.info({ url: relay.url, sources: ctx.config.sources.map((s) => s.name) }, 'hookrelay is listening');
    return relay.url;
  }

  let tornDown: Promise<void> | null = null;
  function teardown(): Promise<void> {
    tornDown ??= (async () => {
      const closed = closeServer(server, options.drainMs ?? 10_000);
      // Long-lived streams end now, so that draining waits only for ordinary requests.
      for (const s of started) s.closing?.();
      await closed;
      for (const s of started.reverse()) {
        await s.stop?.().catch((err: unknown) => ctx.logger.error({ err, subsystem: s.name }, 'stop failed'));
      }
      await ctx.cluster.stop();
      await ctx.outbound.close();
      await ctx.storage.events.close();
      await unlock();
      ctx.logger.info('hookrelay stopped');
    })();
    return tornDown;
  }
  return relay;
}

/** Stops accepting, lets in-flight requests finish (each answers only after its write), then closes. */
async function closeServer(server: Server, drainMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive clients would otherwise send more requests on open connections until they idle out:
  // answer what arrives with `Connection: close`, so each connection ends after its current response.
  server.on('request', (_req, res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  });
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), drainMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}
