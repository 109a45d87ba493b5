import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

const startedAt = Date.UTC(2026, 0, 1, 12);

it('wait.callback waits until the step start plus timeout and outputs the callback', async () => {
  const callback = { body: { ok: true }, headers: { 'x-a': '1' }, received_at: '2026-01-01T12:00:01.000Z' };
  const ctx = createTestContext({ step: { startedAt }, callback });
  assert.deepEqual(await plugin.run(ctx, { timeout: '30m' }), callback);
  assert.deepEqual(ctx.callbackWaits, [startedAt + 30 * 60_000]);
});

it('wait.callback outputs null on timeout, or fails with onTimeout: fail', async () => {
  const ctx = createTestContext({ step: { startedAt } });
  assert.equal(await plugin.run(ctx, { timeout: '1s' }), null);
  await assert.rejects(plugin.run(ctx, { timeout: '1s', onTimeout: 'fail' }), /wait.callback timed out after 1s/);
});
