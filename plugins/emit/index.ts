import { definePlugin } from '../sdk.ts';

/** Publishes an event with source `workflow`: it reaches subscribers, endpoints and other workflows. */
export default definePlugin<{ type: string; payload?: unknown }>({
  name: 'emit',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Emits an event (source workflow); output is {id}.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type'],
    properties: { type: { type: 'string', minLength: 1 }, payload: {} },
  },
  async run(ctx, params) {
    if (!params.type) throw new Error('emit: type is empty');
    return ctx.emit({ type: params.type, payload: params.payload ?? null });
  },
});
