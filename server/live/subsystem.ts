import type { Server } from 'node:http';
import type { RelayContext } from '../context.ts';
import type { Subsystem } from '../subsystem.ts';
import { streamConfig } from './config.ts';
import { createLiveMetrics } from './metrics.ts';
import { liveRoutes } from './routes.ts';
import { createSocketHub } from './socketio.ts';
import { createSseHub } from './sse.ts';

/** Live fan-out of stored events: SSE at GET /v1/events/stream and Socket.IO at /socket.io. */
export function liveStream(ctx: RelayContext): Subsystem {
  const config = streamConfig(ctx.config);
  const metrics = createLiveMetrics(ctx.metrics);
  const hasSlot = () => sse.size + sockets.size < config.maxSubscribers;
  const sse = createSseHub(ctx, config, metrics, hasSlot);
  const sockets = createSocketHub(ctx, config, metrics, hasSlot);
  let unsubscribe: (() => void) | null = null;
  let offCredentials: (() => void) | null = null;
  return {
    name: 'live-stream',
    routes(http) {
      liveRoutes(http, sse);
    },
    attach(server: Server) {
      sockets.attach(server);
    },
    async start() {
      // Subscribers see events stored by any instance sharing this relay's store.
      unsubscribe = ctx.bus.subscribe(
        (event) => {
          sse.fanOut(event);
          sockets.fanOut(event);
        },
        { everyInstance: true },
      );
      // A key or token revoked or narrowed (here or on another instance) acts on open streams at once.
      offCredentials = ctx.credentials.onChange(() => {
        sse.recheck();
        sockets.recheck();
      });
      sse.start();
      sockets.start();
    },
    closing() {
      sse.closeAll();
      sockets.closeAll();
    },
    async stop() {
      unsubscribe?.();
      offCredentials?.();
      sse.closeAll();
      sockets.closeAll();
      sockets.stop();
    },
  };
}
