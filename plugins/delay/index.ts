import { definePlugin, durationSchema, parseDuration } from '../sdk.ts';

/**
 * Waits `for` a duration (or `until` a time) counted from the step's first start, so a restart does
 * not start the delay again. The run holds no concurrency slot while it waits.
 */
export default definePlugin<{ for?: string | number; until?: string | number }>({
  name: 'delay',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Durable delay: `for: 5m` or `until: <ISO time or epoch ms>`.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { for: durationSchema, until: { type: ['string', 'number'] } },
    oneOf: [{ required: ['for'] }, { required: ['until'] }],
  },
  async run(ctx, params) {
    const due = params.until !== undefined ? dueAt(params.until) : ctx.step.startedAt + (parseDuration(params.for) ?? 0);
    await ctx.sleepUntil(due);
    return { until: new Date(due).toISOString() };
  },
});

function dueAt(until: string | number): number {
  const at = typeof until === 'number' ? until : Date.parse(until);
  if (Number.isNaN(at)) throw new Error(`delay: until "${until}" is not a time`);
  return at;
}
