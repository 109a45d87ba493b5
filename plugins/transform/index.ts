import { definePlugin } from '../sdk.ts';

/** Shapes data: the output is `value` with every {{ }} evaluated. */
export default definePlugin<{ value: unknown }>({
  name: 'transform',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Outputs `value`, with expressions evaluated.',
  schema: { type: 'object', additionalProperties: false, required: ['value'], properties: { value: {} } },
  async run(_ctx, params) {
    return params.value;
  },
});
