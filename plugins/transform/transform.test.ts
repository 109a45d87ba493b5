import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('transform outputs its (already evaluated) value unchanged', async () => {
  const value = { text: 'hi', list: [1, 2], nested: { ok: true } };
  assert.deepEqual(await plugin.run(createTestContext(), { value }), value);
});
