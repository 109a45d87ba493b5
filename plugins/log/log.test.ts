import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('log writes the message at the given level with run and step ids', async () => {
  const ctx = createTestContext();
  assert.deepEqual(await plugin.run(ctx, { message: 'hello', level: 'warn', data: { a: 1 } }), { message: 'hello' });
  assert.deepEqual(ctx.logged, [{ level: 'warn', msg: 'hello', obj: { run: 'run_test', step: 'step', data: { a: 1 } } }]);
});
