import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AI_QUEUE, type AiQueue } from '../../server/batches/types.ts';
import { controlLines, type LineControl } from '../helpers/fake-openai-extras.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { sdk, startBatchRelay, uploadAndCreate, inputLines, waitForStatus } from './batch-helpers.ts';

describe('batch lines in the AI queue', () => {
  let upstream: FakeOpenAI;
  let lines: LineControl;
  let relay: TestRelay;

  before(async () => {
    upstream = await startFakeOpenAI();
    lines = controlLines(upstream);
    relay = await startBatchRelay(upstream, { concurrency: 1, maxInFlight: 3 });
  });
  after(async () => {
    lines.release();
    await relay.stop();
    await upstream.close();
  });

  it('wait behind a normal-priority job on the same upstream (batch lines are low priority)', async () => {
    const client = sdk(relay);
    const queue = relay.relay.ctx.services.get(AI_QUEUE) as AiQueue;
    lines.holdAfter(0);
    const batch = await uploadAndCreate(client, inputLines(4));
    // One slot: the first line holds it at the upstream, two more lines wait in the queue.
    await waitFor('the first line parked', () => lines.parked === 1);
    const sentBefore = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;
    let linesSentWhenNormalRan = -1;
    const normal = queue.run({
      model: 'fake-model',
      priority: 'normal',
      execute: async () => {
        linesSentWhenNormalRan = sentBefore();
      },
    });
    lines.release();
    await normal;
    assert.equal(linesSentWhenNormalRan, 1, 'the normal job ran before the waiting batch lines');
    const done = await waitForStatus(client, batch.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 4, completed: 4, failed: 0 });
  });
});
