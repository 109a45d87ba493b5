import { definePlugin } from '../sdk.ts';

/**
 * Runs another workflow as a child of this run and outputs the child's output (its top-level
 * `output:`, or its last step's output). The child sees `input`; its failure fails this step; cancelling
 * this run cancels the child. The run holds no concurrency slot while the child runs.
 */
export default definePlugin<{ workflow: string; input?: unknown }>({
  name: 'workflow.call',
  version: '1.0.0',
  apiVersion: 1,
  description: 'Runs a workflow as a child run and waits for it; output is the child run output.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['workflow'],
    properties: {
      workflow: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' },
      input: {},
    },
  },
  run(ctx, params) {
    return ctx.callWorkflow({ workflow: params.workflow, input: params.input });
  },
});
