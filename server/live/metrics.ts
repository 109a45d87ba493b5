import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../ops/metrics.ts';

/** Live fan-out metrics, registered on the relay's own registry. */
export function createLiveMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    subscribers: new Gauge({
      name: 'hookrelay_live_subscribers',
      help: 'Open live subscribers by transport (sse, socketio).',
      labelNames: ['transport'] as const,
      registers,
    }),
    cut: new Counter({
      name: 'hookrelay_live_subscribers_cut_total',
      help: 'Subscribers disconnected because they fell further behind than stream.maxBufferBytes.',
      labelNames: ['transport'] as const,
      registers,
    }),
  };
}

export type LiveMetrics = ReturnType<typeof createLiveMetrics>;
