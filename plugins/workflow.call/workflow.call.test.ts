import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('workflow.call hands the workflow and input to the relay and outputs what the child output', async () => {
  const ctx = createTestContext({ callResult: (call) => ({ got: call.input }) });
  assert.deepEqual(await plugin.run(ctx, { workflow: 'child', input: { a: 1 } }), { got: { a: 1 } });
  assert.deepEqual(ctx.calls, [{ workflow: 'child', input: { a: 1 } }]);
});

it("workflow.call fails with the child's error", async () => {
  const ctx = createTestContext({ callResult: () => new Error('workflow "child" (run run_x) failed: boom') });
  await assert.rejects(plugin.run(ctx, { workflow: 'child' }), /failed: boom/);
});
