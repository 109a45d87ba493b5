import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../ops/metrics.ts';
import type { AiQueue } from './queue.ts';

/** AI metrics on the relay's registry; queue gauges are read from the queue when scraped. */
export function createAiMetrics(metrics: Metrics, queue: AiQueue) {
  const registers = [metrics.registry];
  const laneGauge = (name: string, help: string, pick: 'running' | 'waiting') =>
    new Gauge({
      name,
      help,
      labelNames: ['upstream'] as const,
      registers,
      collect() {
        for (const lane of queue.stats()) this.set({ upstream: lane.upstream }, lane[pick]);
      },
    });
  return {
    finished: new Counter({
      name: 'hookrelay_ai_responses_total',
      help: 'Responses that reached a final status, by model and status.',
      labelNames: ['model', 'status'] as const,
      registers,
    }),
    tokens: new Counter({
      name: 'hookrelay_ai_tokens_total',
      help: 'Tokens reported by upstreams, by model and kind (input, output).',
      labelNames: ['model', 'kind'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'hookrelay_ai_upstream_retries_total',
      help: 'Upstream calls retried before the first token (429, 5xx, connection errors).',
      registers,
    }),
    running: laneGauge('hookrelay_ai_upstream_running', 'Upstream calls in flight per upstream.', 'running'),
    waiting: laneGauge('hookrelay_ai_upstream_waiting', 'Responses waiting for an upstream slot.', 'waiting'),
  };
}

export type AiMetrics = ReturnType<typeof createAiMetrics>;
