import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('emit publishes the event through the context and outputs its id', async () => {
  const ctx = createTestContext();
  const out = await plugin.run(ctx, { type: 'batch.done', payload: { n: 1 } });
  assert.deepEqual(ctx.emitted, [{ type: 'batch.done', payload: { n: 1 } }]);
  assert.deepEqual(out, { id: 'evt_emitted_1' });
});
