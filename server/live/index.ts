import type { RelayContext, Routers, Subsystem } from '../context.ts';
import { defineErrorCodes } from '../errors.ts';
import { streamConfig } from './config.ts';
import { createLiveMetrics } from './metrics.ts';
import { createSseHub } from './sse.ts';

defineErrorCodes({ too_many_subscribers: 503 });

/** Live fan-out of stored events: SSE at GET /v1/events/stream. */
export function liveStream(ctx: RelayContext): Subsystem {
  const config = streamConfig(ctx.config);
  const metrics = createLiveMetrics(ctx.metrics);
  const hasSlot = () => sse.size < config.maxSubscribers;
  const sse = createSseHub(ctx, config, metrics, hasSlot);
  let unsubscribe: (() => void) | null = null;
  return {
    name: 'live-stream',
    routes({ v1 }: Routers) {
      // Registered before the events API, whose /events/:id would otherwise take "stream" as an id.
      v1.get('/events/stream', ctx.auth.reader, (req, res) => sse.open(req, res));
    },
    async start() {
      unsubscribe = ctx.bus.subscribe((event) => sse.fanOut(event));
      sse.start();
    },
    closing() {
      sse.closeAll();
    },
    async stop() {
      unsubscribe?.();
      sse.closeAll();
    },
  };
}
