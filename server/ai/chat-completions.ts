import type { Request, Response as HttpResponse } from 'express';
import { APIError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import type { RelayContext } from '../context.ts';
import { RelayError } from '../errors.ts';
import { principalOf } from '../http/auth.ts';
import { admitModel } from './admission.ts';
import type { AiConfig } from './config.ts';
import type { AiMetrics } from './metrics.ts';
import type { AiQueue } from './queue.ts';
import { usageOf } from './response-object.ts';
import { chatChunks } from './upstream-stream.ts';
import type { UpstreamRouter } from './upstreams.ts';
import type { UsageStore } from './usage.ts';

export interface ChatCompletionsDeps {
  ctx: RelayContext;
  config: AiConfig;
  router: UpstreamRouter;
  queue: AiQueue;
  usage: UsageStore;
  metrics: AiMetrics;
}

const invalid = (param: string, message: string) => new RelayError('invalid_request', message, { param });

/**
 * `POST /v1/chat/completions`, passed through to the model's upstream (plain and streaming) through the
 * same per-upstream queue as responses, with usage recorded per model and caller. Streams always ask
 * the upstream for usage; a client that did not ask for it does not get the extra usage chunk.
 */
export function chatCompletionsHandler(deps: ChatCompletionsDeps) {
  const { ctx } = deps;
  return async (req: Request, res: HttpResponse) => {
    const body = checkBody(req.body);
    admitModel(body.model, deps);
    const caller = principalOf(res).keyId;
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client closed'));
    });
    const record = (status: 'completed' | 'failed' | 'incomplete', usage: ChatCompletion['usage'] | null) => {
      const counted = usage
        ? usageOf({
            input: usage.prompt_tokens,
            output: usage.completion_tokens,
            cached: usage.prompt_tokens_details?.cached_tokens ?? null,
            reasoning: usage.completion_tokens_details?.reasoning_tokens ?? null,
          })
        : null;
      if (counted) {
        deps.metrics.tokens.inc({ model: body.model, kind: 'input' }, counted.input_tokens);
        deps.metrics.tokens.inc({ model: body.model, kind: 'output' }, counted.output_tokens);
      }
      return deps.usage.record(body.model, ctx.clock.now(), status, counted, caller, 'chat.completions');
    };
    try {
      await deps.queue.run({
        model: body.model,
        priority: 'normal',
        signal: controller.signal,
        execute: async (client, _upstream, signal) => {
          if (!body.stream) {
            const completion = (await client.chat.completions.create(body, { signal })) as ChatCompletion;
            await record(completion.choices[0]?.finish_reason === 'length' ? 'incomplete' : 'completed', completion.usage);
            res.json(completion);
            return;
          }
          const wanted = body.stream_options?.include_usage === true;
          const upstreamBody = { ...body, stream_options: { ...body.stream_options, include_usage: true } };
          const response = await client.chat.completions.create(upstreamBody, { signal }).asResponse();
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
          let usage: ChatCompletionChunk['usage'] = null;
          let finish: string | null = null;
          for await (const chunk of chatChunks(response)) {
            if (chunk.usage) usage = chunk.usage;
            finish = chunk.choices?.[0]?.finish_reason ?? finish;
            if (!wanted && chunk.usage && (chunk.choices?.length ?? 0) === 0) continue;
            res.write(`data: ${JSON.stringify(wanted ? chunk : { ...chunk, usage: undefined })}\n\n`);
          }
          res.end('data: [DONE]\n\n');
          await record(finish === 'length' ? 'incomplete' : 'completed', usage);
        },
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      await record('failed', null).catch(() => {});
      throw upstreamFailure(error);
    }
  };
}

function checkBody(body: unknown): ChatCompletionCreateParams & { model: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'The body must be a JSON object.');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model.length === 0 || b.model.length > 200) {
    throw invalid('model', '"model" must be a non-empty string.');
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    throw invalid('messages', '"messages" must be a non-empty list of messages.');
  }
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
    throw invalid('stream', '"stream" must be a boolean.');
  }
  return b as unknown as ChatCompletionCreateParams & { model: string };
}

/** An upstream's refusal keeps its message and param; its other failures are 502. */
function upstreamFailure(error: unknown): RelayError {
  if (error instanceof RelayError) return error;
  if (error instanceof APIError && error.status !== undefined) {
    const upstream = (error.error ?? {}) as { param?: unknown };
    const param = typeof upstream.param === 'string' ? upstream.param : null;
    if (error.status === 429) return new RelayError('rate_limited', `The upstream is rate limiting: ${error.message}`);
    if (error.status < 500)
      return new RelayError('upstream_refused', `The upstream refused the request: ${error.message}`, { param });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RelayError('upstream_error', `The upstream failed: ${message}`);
}
