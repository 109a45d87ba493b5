import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AwaitedEvent } from '../sdk.ts';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

const startedAt = Date.UTC(2026, 0, 1, 12);
const event = (id: string, offsetMs: number, key: string): AwaitedEvent => ({
  id,
  source: 'jobs',
  type: 'job.completed',
  received_at: new Date(startedAt + offsetMs).toISOString(),
  payload: { key },
  headers: {},
});

it('wait.event waits from the step start minus lookback until start plus timeout, with match', async () => {
  const events = [event('evt_early', -120_000, 'k'), event('evt_other', 1000, 'x'), event('evt_hit', -30_000, 'k')];
  const ctx = createTestContext({ events, step: { startedAt } });
  const match = async (extra?: Record<string, unknown>) => {
    const awaited = extra?.awaited as AwaitedEvent;
    return (awaited.payload as { key: string }).key === 'k';
  };
  const out = await plugin.run(ctx, { source: 'jobs', type: 'job.completed', match, timeout: '10m', lookback: '1m' });
  assert.equal((out as AwaitedEvent).id, 'evt_hit');
  assert.equal(ctx.waits[0].since, startedAt - 60_000);
  assert.equal(ctx.waits[0].until, startedAt + 600_000);
});

it('wait.event returns null on timeout, or fails with onTimeout: fail', async () => {
  const ctx = createTestContext({ events: [], step: { startedAt } });
  assert.equal(await plugin.run(ctx, { type: 'job.completed', timeout: '1s' }), null);
  await assert.rejects(plugin.run(ctx, { type: 'job.completed', timeout: '1s', onTimeout: 'fail' }), /timed out after 1s/);
});
