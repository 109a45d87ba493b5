import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestContext } from '../testing.ts';
import plugin from './index.ts';

it('deliver queues the trigger event for the endpoint through the delivery service', async () => {
  const calls: string[][] = [];
  const delivery = {
    async enqueueForEndpoint(endpoint: string, event: string) {
      calls.push([endpoint, event]);
      return { id: 'dlv_1' };
    },
  };
  const out = await plugin.run(createTestContext({ services: { delivery } }), { endpoint: 'ep_1' });
  assert.deepEqual(calls, [['ep_1', 'evt_test']]);
  assert.deepEqual(out, { delivery: 'dlv_1', endpoint: 'ep_1', event: 'evt_test' });
});

it('deliver fails with a clear message when no delivery engine is present', async () => {
  await assert.rejects(plugin.run(createTestContext(), { endpoint: 'ep_1' }), /service "delivery" is not provided/);
});
