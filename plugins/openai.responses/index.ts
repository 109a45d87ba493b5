import type OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';
import { AI_RESPONSES, AI_UPSTREAMS, definePlugin, type ResponsesService, type StepContext } from '../sdk.ts';

// Workflow steps `openai.responses.create` and `openai.responses.retrieve`, shaped as step plugins
// ({name, version, apiVersion, schema, run(ctx, params)}) and using only what a step context offers:
// named services, the run's abort signal and a logger. `target: relay` (the default) goes through this
// relay's own background mode (service `ai.responses`); `target: <upstream name>` calls that upstream's
// Responses API directly with the openai SDK (service `ai.upstreams`).

export interface CreateStepParams {
  target?: string;
  model: string;
  input: string | Array<{ role: string; content: string }>;
  instructions?: string;
  max_output_tokens?: number;
  temperature?: number;
  metadata?: Record<string, string>;
  priority?: 'high' | 'normal' | 'low';
  webhook_url?: string;
  /** Wait until the response is finished (default true); false returns it queued. */
  wait?: boolean;
  /** Makes a retried step create the same response instead of a second one. */
  idempotency_key?: string;
}

/** The step output: the fields workflows use most, plus the whole Response. */
function stepOutput(response: Response) {
  let text = '';
  for (const item of response.output ?? []) {
    if (item.type !== 'message') continue;
    for (const part of item.content) if (part.type === 'output_text') text += part.text;
  }
  return {
    id: response.id,
    status: response.status,
    output_text: text,
    usage: response.usage ?? null,
    error: response.error ?? null,
    response,
  };
}

function service(ctx: StepContext): ResponsesService {
  const found = ctx.services.get(AI_RESPONSES);
  if (!found) throw new Error('openai.responses: this relay has no AI subsystem (service "ai.responses" is not provided)');
  return found;
}

function upstream(ctx: StepContext, name: string): OpenAI {
  const client = ctx.services.get(AI_UPSTREAMS)?.client(name);
  if (!client) throw new Error(`openai.responses: no upstream named "${name}" in ai.upstreams`);
  return client;
}

const targetSchema = {
  type: 'string',
  minLength: 1,
  description: '"relay" (default) or the name of an upstream in ai.upstreams',
};

export const responsesCreateStep = definePlugin<CreateStepParams>({
  name: 'openai.responses.create',
  version: '1.0.0',
  apiVersion: 1,
  description:
    'Creates a response (background mode); waits for it unless wait: false. Output {id, status, output_text, usage, error, response}.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['model', 'input'],
    properties: {
      target: targetSchema,
      model: { type: 'string', minLength: 1 },
      input: { type: ['string', 'array'] },
      instructions: { type: 'string' },
      max_output_tokens: { type: 'integer', minimum: 1 },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
      priority: { enum: ['high', 'normal', 'low'] },
      webhook_url: { type: 'string', minLength: 1 },
      wait: { type: 'boolean' },
      idempotency_key: { type: 'string', minLength: 1, maxLength: 255 },
    },
  },
  async run(ctx: StepContext, params: CreateStepParams) {
    const { target = 'relay', wait = true, idempotency_key, ...body } = params;
    if (target === 'relay') {
      const responses = service(ctx);
      const created = await responses.create(body as Record<string, unknown>, { idempotencyKey: idempotency_key });
      ctx.logger.info({ response: created.id }, 'response created');
      if (!wait) return stepOutput(created);
      const finished = await responses.waitForTerminal(created.id, ctx.signal);
      ctx.signal.throwIfAborted();
      return stepOutput(finished);
    }
    if (body.priority || body.webhook_url)
      throw new Error('openai.responses.create: priority and webhook_url apply to target "relay" only');
    const client = upstream(ctx, target);
    const headers = idempotency_key ? { 'Idempotency-Key': idempotency_key } : undefined;
    const request = { ...body, background: !wait } as OpenAI.Responses.ResponseCreateParamsNonStreaming;
    return stepOutput(await client.responses.create(request, { signal: ctx.signal, headers }));
  },
});

export const responsesRetrieveStep = definePlugin<{ target?: string; id: string; wait?: boolean }>({
  name: 'openai.responses.retrieve',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Fetches a response by id; with wait: true, waits until it is finished (relay target only).',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['id'],
    properties: { target: targetSchema, id: { type: 'string', minLength: 1 }, wait: { type: 'boolean' } },
  },
  async run(ctx: StepContext, params: { target?: string; id: string; wait?: boolean }) {
    const target = params.target ?? 'relay';
    if (target === 'relay') {
      const responses = service(ctx);
      const found = params.wait ? await responses.waitForTerminal(params.id, ctx.signal) : await responses.retrieve(params.id);
      ctx.signal.throwIfAborted();
      if (!found) throw new Error(`openai.responses.retrieve: no response with id "${params.id}"`);
      return stepOutput(found);
    }
    return stepOutput(await upstream(ctx, target).responses.retrieve(params.id, {}, { signal: ctx.signal }));
  },
});

export const plugins = [responsesCreateStep, responsesRetrieveStep];
