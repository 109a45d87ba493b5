import { HttpError } from '../errors.ts';
import type { AiConfig } from './config.ts';
import type { AiQueue } from './queue.ts';
import type { CreateParams } from './request.ts';
import type { UpstreamRouter } from './upstreams.ts';

/** Refuses, before anything is stored, a create the relay could not carry out. */
export function admit(
  params: CreateParams,
  deps: { config: AiConfig; router: UpstreamRouter; queue: AiQueue; webhooksEnabled(): boolean },
): void {
  const upstream = deps.router.route(params.model);
  if (!upstream) {
    throw new HttpError('model_not_found', `No upstream in ai.upstreams serves the model "${params.model}".`, 400, {
      param: 'model',
    });
  }
  const lane = deps.queue.stats().find((l) => l.upstream === upstream.name);
  if (lane && lane.waiting >= deps.config.maxQueued) {
    throw new HttpError(
      'ai_queue_full',
      `Upstream "${upstream.name}" has ${deps.config.maxQueued} responses waiting; try again later.`,
    );
  }
  if (params.webhook_url && !deps.webhooksEnabled()) {
    throw new HttpError(
      'webhooks_unavailable',
      'webhook_url needs the delivery engine, which is not running in this relay.',
      400,
      {
        param: 'webhook_url',
      },
    );
  }
}
