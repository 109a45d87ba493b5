import { definePlugin } from '../sdk.ts';

/** Writes a line to the relay's log with the run and step ids. */
export default definePlugin<{ message: string; level?: 'debug' | 'info' | 'warn' | 'error'; data?: unknown }>({
  name: 'log',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Logs a message; output is {message}.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['message'],
    properties: { message: { type: 'string' }, level: { enum: ['debug', 'info', 'warn', 'error'] }, data: {} },
  },
  async run(ctx, params) {
    ctx.logger[params.level ?? 'info']({ run: ctx.run.id, step: ctx.step.id, data: params.data }, String(params.message));
    return { message: String(params.message) };
  },
});
