import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { controlLines, type LineControl } from '../helpers/fake-openai-extras.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import type { TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { eventsOf, fileLines, inputLines, startBatchRelay, uploadAndCreate, waitForStatus } from './batch-helpers.ts';

describe('batch expiry', () => {
  let upstream: FakeOpenAI;
  let lines: LineControl;
  let relay: TestRelay;
  const clock = new FakeClock();

  before(async () => {
    upstream = await startFakeOpenAI();
    lines = controlLines(upstream);
    relay = await startBatchRelay(upstream, { clock, concurrency: 1, maxInFlight: 1 });
  });
  after(async () => {
    lines.release();
    await relay.stop();
    await upstream.close();
  });

  it('expires a batch still running 24 h after it was created, listing unrun lines as batch_expired', async () => {
    const client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${relay.url}/v1`, maxRetries: 0 });
    lines.holdAfter(1);
    const batch = await uploadAndCreate(client, inputLines(3));
    assert.equal(batch.expires_at, (batch.created_at as number) + 24 * 3600);
    await waitFor(
      'one line done, one parked',
      async () => (await client.batches.retrieve(batch.id)).request_counts?.completed === 1 && lines.parked === 1,
    );
    clock.advance(24 * 3600 * 1000);
    const expired = await waitForStatus(client, batch.id, 'expired');
    assert.deepEqual(expired.request_counts, { total: 3, completed: 1, failed: 0 });
    assert.deepEqual(
      (await fileLines(client, expired.output_file_id)).map((l) => l.custom_id),
      ['req-1'],
    );
    const errors = await fileLines(client, expired.error_file_id);
    assert.deepEqual(
      errors.map((l) => [l.custom_id, l.error.code]),
      [
        ['req-2', 'batch_expired'],
        ['req-3', 'batch_expired'],
      ],
    );
    assert.equal((await eventsOf(relay, 'batch.expired')).filter((e) => e.payload.data.id === batch.id).length, 1);
  });
});
