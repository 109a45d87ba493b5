import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface DeliveryGaugeSource {
  pendingCount(): number;
  inFlightCount(): number;
  /** Seconds the longest-waiting due delivery has waited past its due time (0 when none). */
  oldestDueAgeSeconds(): number;
}

/**
 * Queue depth and the age of the oldest due delivery are the two numbers that show a stuck queue
 * (the failure users report most against other senders); attempts and latency show health.
 */
export function createDeliveryMetrics(registry: Registry, source: DeliveryGaugeSource) {
  new Gauge({
    name: 'hookrelay_delivery_queue_depth',
    help: 'Deliveries not yet finished (due now, in flight or scheduled for a retry).',
    registers: [registry],
    collect() {
      this.set(source.pendingCount());
    },
  });
  new Gauge({
    name: 'hookrelay_delivery_in_flight',
    help: 'Delivery attempts currently waiting for a receiver.',
    registers: [registry],
    collect() {
      this.set(source.inFlightCount());
    },
  });
  new Gauge({
    name: 'hookrelay_delivery_oldest_due_seconds',
    help: 'How long the oldest due delivery has waited past its due time (grows when a queue is stuck).',
    registers: [registry],
    collect() {
      this.set(source.oldestDueAgeSeconds());
    },
  });
  return {
    attempts: new Counter({
      name: 'hookrelay_delivery_attempts_total',
      help: 'Delivery attempts by outcome (success, failure).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    attemptSeconds: new Histogram({
      name: 'hookrelay_delivery_attempt_duration_seconds',
      help: 'Time from request to the end of the kept response body.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    }),
    finished: new Counter({
      name: 'hookrelay_deliveries_finished_total',
      help: 'Deliveries that finished, by status (succeeded, failed).',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
