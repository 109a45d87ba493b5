import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('delay sleeps until the step first started plus `for`, so a restart keeps the due time', async () => {
  const startedAt = Date.UTC(2026, 0, 1, 12);
  const ctx = createTestContext({ now: startedAt + 60_000, step: { startedAt } });
  const out = await plugin.run(ctx, { for: '5m' });
  assert.deepEqual(ctx.slept, [startedAt + 300_000]);
  assert.deepEqual(out, { until: new Date(startedAt + 300_000).toISOString() });
});

it('delay accepts an absolute `until` and refuses one that is not a time', async () => {
  const ctx = createTestContext();
  await plugin.run(ctx, { until: '2030-01-01T00:00:00Z' });
  assert.deepEqual(ctx.slept, [Date.UTC(2030, 0, 1)]);
  await assert.rejects(plugin.run(ctx, { until: 'soon' }), /not a time/);
});
