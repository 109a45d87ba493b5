import { type DeferredExpression, definePlugin, durationSchema, parseDuration } from '../sdk.ts';

interface WaitParams {
  source?: string;
  type?: string | string[];
  /** JSONata over the run context plus `awaited` (the candidate event); true takes the event. */
  match?: DeferredExpression;
  timeout: string | number;
  lookback?: string | number;
  onTimeout?: 'null' | 'fail';
}

/**
 * Waits for an event (from the store, so it also finds events that arrived during the lookback window
 * or while the relay was down). Returns the event, or null on timeout (or fails, with onTimeout: fail).
 */
export default definePlugin<WaitParams>({
  name: 'wait.event',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Durable wait for a matching event; output is the event or null on timeout.',
  deferred: ['match'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['timeout'],
    properties: {
      source: { type: 'string', minLength: 1 },
      type: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string' }, minItems: 1 },
        ],
      },
      match: { type: 'string', minLength: 1 },
      timeout: durationSchema,
      lookback: durationSchema,
      onTimeout: { enum: ['null', 'fail'] },
    },
  },
  async run(ctx, params) {
    const started = ctx.step.startedAt;
    const match = params.match;
    const event = await ctx.waitForEvent({
      source: params.source,
      type: params.type,
      match: match ? async (awaited) => Boolean(await match({ awaited })) : undefined,
      since: started - (parseDuration(params.lookback ?? 0) ?? 0),
      until: started + (parseDuration(params.timeout) ?? 0),
    });
    if (!event && params.onTimeout === 'fail') throw new Error(`wait.event timed out after ${params.timeout}`);
    return event;
  },
});
