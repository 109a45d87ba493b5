import { definePlugin } from '../sdk.ts';

/**
 * Sets one key of a namespace in the workflow's persistent state and outputs every entry after the
 * change: how a workflow aggregates across runs (progress of several documents, counters).
 */
export default definePlugin<{ namespace: string; key: string; value: unknown }>({
  name: 'state.put',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Workflow state: output is {changed, entries}.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['namespace', 'key', 'value'],
    properties: { namespace: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 }, value: {} },
  },
  async run(ctx, params) {
    if (!params.key) throw new Error('state.put: key is empty');
    return ctx.state.put(params.namespace, String(params.key), params.value);
  },
});
