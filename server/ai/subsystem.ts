import type { RelayContext, Subsystem } from '../context.ts';
import { defineErrorCodes } from '../errors.ts';
import { resolveAiConfig } from './config.ts';
import { createAiQueue } from './queue.ts';
import { createUpstreamRouter } from './upstreams.ts';

defineErrorCodes({ model_not_found: 400, ai_queue_full: 429 });

/** AI background mode: the upstream queue (`ai.queue`) and the Responses API (`ai.responses`). */
export function aiSubsystem(ctx: RelayContext): Subsystem {
  const config = resolveAiConfig(ctx.config.sections.ai);
  const router = createUpstreamRouter(config.upstreams, ctx.fetch);
  const queue = createAiQueue(router, config);
  ctx.services.provide('ai.queue', queue);
  return { name: 'ai' };
}
