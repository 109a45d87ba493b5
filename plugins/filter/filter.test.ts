import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isEndRun } from '../sdk.ts';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('filter passes a true condition and ends the run as filtered on a false one', async () => {
  assert.deepEqual(await plugin.run(createTestContext(), { condition: true }), { passed: true });
  for (const falsy of [false, null, 0, '', []]) {
    const out = await plugin.run(createTestContext(), { condition: falsy });
    assert.ok(isEndRun(out), `${JSON.stringify(falsy)} should end the run`);
  }
});
