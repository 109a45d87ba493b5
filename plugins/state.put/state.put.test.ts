import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('state.put outputs all entries of the namespace and whether the value changed', async () => {
  const ctx = createTestContext();
  assert.deepEqual(await plugin.run(ctx, { namespace: 'b1', key: 'doc1', value: 0.5 }), {
    changed: true,
    entries: { doc1: 0.5 },
  });
  assert.deepEqual(await plugin.run(ctx, { namespace: 'b1', key: 'doc2', value: 0.25 }), {
    changed: true,
    entries: { doc1: 0.5, doc2: 0.25 },
  });
  assert.deepEqual(await plugin.run(ctx, { namespace: 'b1', key: 'doc2', value: 0.25 }), {
    changed: false,
    entries: { doc1: 0.5, doc2: 0.25 },
  });
});
