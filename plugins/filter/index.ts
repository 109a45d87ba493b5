import { definePlugin, endRun } from '../sdk.ts';

/** Ends the run as `filtered` when `condition` is false (null, false, 0, "" and [] count as false). */
export default definePlugin<{ condition: unknown }>({
  name: 'filter',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Continues when `condition` holds, otherwise ends the run as filtered.',
  schema: { type: 'object', additionalProperties: false, required: ['condition'], properties: { condition: {} } },
  async run(_ctx, params) {
    const value = params.condition;
    const holds = Array.isArray(value) ? value.length > 0 : Boolean(value);
    return holds ? { passed: true } : endRun('filtered', { passed: false });
  },
});
