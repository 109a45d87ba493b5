import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per relay, so several relays in one process (tests) never share counters. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hookrelay_' });
  return {
    registry,
    ingest: new Counter({
      name: 'hookrelay_ingest_total',
      help: 'Webhook requests by source and outcome (accepted, duplicate, or the error code).',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    ingestSeconds: new Histogram({
      name: 'hookrelay_ingest_duration_seconds',
      help: 'Time from request to answer on POST /hooks/:source, including the durable write.',
      labelNames: ['source'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    storeWriteSeconds: new Histogram({
      name: 'hookrelay_store_write_duration_seconds',
      help: 'Time an event append waited for its durable write (group commit included).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
