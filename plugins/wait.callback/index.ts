import { definePlugin, durationSchema, parseDuration } from '../sdk.ts';

/**
 * Waits until something POSTs to this step's callback URL (`run.callback_url` in the steps before it),
 * then outputs `{body, headers, received_at}`. The callback is stored before it is acknowledged, so it
 * may arrive before the wait starts, or while the relay restarts. Null on timeout (or fails, with
 * onTimeout: fail). The run holds no concurrency slot while it waits.
 */
export default definePlugin<{ timeout: string | number; onTimeout?: 'null' | 'fail' }>({
  name: 'wait.callback',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Durable wait for a POST to the run callback URL; output is {body, headers, received_at}.',
  foreach: false,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['timeout'],
    properties: { timeout: durationSchema, onTimeout: { enum: ['null', 'fail'] } },
  },
  async run(ctx, params) {
    const received = await ctx.waitForCallback(ctx.step.startedAt + (parseDuration(params.timeout) ?? 0));
    if (!received && params.onTimeout === 'fail') throw new Error(`wait.callback timed out after ${params.timeout}`);
    return received;
  },
});
