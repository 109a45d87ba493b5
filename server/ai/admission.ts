import { RelayError } from '../errors.ts';
import type { AiConfig } from './config.ts';
import type { AiQueue } from './queue.ts';
import type { CreateParams } from './request.ts';
import type { Upstream, UpstreamRouter } from './upstreams.ts';

interface AdmissionDeps {
  config: AiConfig;
  router: UpstreamRouter;
  queue: AiQueue;
}

/** The upstream of a model, refused before anything is stored when none serves it or its queue is full. */
export function admitModel(model: string, deps: AdmissionDeps): Upstream {
  const upstream = deps.router.route(model);
  if (!upstream) {
    throw new RelayError('model_not_found', `No upstream in ai.upstreams serves the model "${model}".`, {
      param: 'model',
    });
  }
  const lane = deps.queue.stats().find((l) => l.upstream === upstream.name);
  if (lane && lane.waiting >= deps.config.maxQueued) {
    throw new RelayError(
      'ai_queue_full',
      `Upstream "${upstream.name}" has ${deps.config.maxQueued} responses waiting; try again later.`,
    );
  }
  return upstream;
}

/** Refuses, before anything is stored, a create the relay could not carry out. */
export function admit(params: CreateParams, deps: AdmissionDeps & { webhooksEnabled(): boolean }): void {
  admitModel(params.model, deps);
  if (params.webhook_url && !deps.webhooksEnabled()) {
    throw new RelayError('webhooks_unavailable', 'webhook_url needs the delivery engine, which is not running in this relay.', {
      param: 'webhook_url',
    });
  }
}
