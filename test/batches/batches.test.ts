import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { toFile } from 'openai';
import { defaultSubsystems } from '../../server/subsystems.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai-objects.ts';
import { type MemoryQueue, memoryQueue, provideQueue } from '../helpers/memory-ai-queue.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { eventsOf, fileLines, inputLines, uploadAndCreate, waitForStatus } from './batch-helpers.ts';

describe('batches through the relay', () => {
  let upstream: FakeOpenAI;
  let queue: MemoryQueue;
  let relay: TestRelay;
  let client: OpenAI;

  before(async () => {
    upstream = await startFakeOpenAI();
    queue = memoryQueue(upstream.baseURL, 3);
    relay = await startRelay({
      subsystems: [...defaultSubsystems, provideQueue(queue)],
      sections: { batches: { maxInFlight: 2, progressIntervalMs: 10 } },
    });
    client = new OpenAI({ apiKey: 'test-admin-token', baseURL: `${relay.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await relay.stop();
    await upstream.close();
  });

  it('runs every line through the queue at low priority and writes each custom_id exactly once', async () => {
    const created = await uploadAndCreate(client, inputLines(12, [3, 7]), { job: 'nightly' });
    assert.equal(created.status, 'validating');
    assert.deepEqual(created.metadata, { job: 'nightly' });
    const done = await waitForStatus(client, created.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 12, completed: 10, failed: 2 });
    assert.ok(done.in_progress_at && done.finalizing_at && done.completed_at);

    const outputs = await fileLines(client, done.output_file_id);
    const errors = await fileLines(client, done.error_file_id);
    assert.equal(outputs.length, 10);
    assert.equal(errors.length, 2);
    const ids = [...outputs, ...errors].map((l) => l.custom_id).sort();
    assert.deepEqual(ids, Array.from({ length: 12 }, (_, i) => `req-${i + 1}`).sort());
    const third = outputs.find((l) => l.custom_id === 'req-2');
    assert.equal(third?.response.status_code, 200);
    assert.match(third?.response.request_id, /^req_/);
    assert.equal(third?.response.body.output[0].content[0].text, 'echo: "hello 2"');
    assert.equal(third?.error, null);
    const failed = errors.find((l) => l.custom_id === 'req-7');
    assert.equal(failed?.response.status_code, 400);
    assert.equal(failed?.response.body.error.code, 'asked_to_fail');
    assert.ok(queue.priorities.length >= 12 && queue.priorities.every((p) => p === 'low'));
    assert.ok(queue.maxRunning <= 2, 'no more lines in flight than batches.maxInFlight');
  });

  it('emits throttled batch.progress with growing counts, and batch.completed in OpenAI webhook shape', async () => {
    const batch = await uploadAndCreate(client, inputLines(6, [2]));
    await waitForStatus(client, batch.id, 'completed');
    const progress = (await eventsOf(relay, 'batch.progress')).filter((e) => e.payload.data.id === batch.id);
    assert.ok(progress.length >= 2, 'progress while running and at the end');
    const done = progress.map((e) => e.payload.data.request_counts.completed + e.payload.data.request_counts.failed);
    assert.deepEqual(
      done,
      [...done].sort((a, b) => a - b),
      'counts only grow',
    );
    assert.deepEqual(progress.at(-1)?.payload.data, {
      id: batch.id,
      status: 'completed',
      request_counts: { total: 6, completed: 5, failed: 1 },
    });
    const completed = (await eventsOf(relay, 'batch.completed')).filter((e) => e.payload.data.id === batch.id);
    assert.equal(completed.length, 1);
    assert.equal(completed[0].payload.object, 'event');
    assert.equal(completed[0].payload.type, 'batch.completed');
    assert.equal(typeof completed[0].payload.created_at, 'number');
  });

  it('fails validation with the line number of each invalid line', async () => {
    const good = JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/responses', body: { model: 'm', input: 'x' } });
    const wrongUrl = JSON.stringify({ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: { model: 'm' } });
    const jsonl = `${good}\n{not json\n${wrongUrl}\n${good}\n`;
    const batch = await uploadAndCreate(client, jsonl);
    const failed = await waitForStatus(client, batch.id, 'failed');
    const errors = failed.errors?.data ?? [];
    assert.deepEqual(
      errors.map((e) => [e.line, e.code]),
      [
        [2, 'invalid_json_line'],
        [3, 'mismatched_url'],
        [4, 'duplicate_custom_id'],
      ],
    );
    assert.equal(errors[1].param, 'url');
    const events = (await eventsOf(relay, 'batch.failed')).filter((e) => e.payload.data.id === batch.id);
    assert.equal(events.length, 1);
  });

  it('cancels mid-batch: in-flight lines are aborted, the rest are listed as batch_cancelled', async () => {
    upstream.holdAfter(2);
    const batch = await uploadAndCreate(client, inputLines(8));
    await waitFor('two lines parked at the upstream', () => upstream.parked === 2);
    await waitFor('two lines done', async () => (await client.batches.retrieve(batch.id)).request_counts?.completed === 2);
    const cancelling = await client.batches.cancel(batch.id);
    assert.ok(cancelling.status === 'cancelling' || cancelling.status === 'cancelled');
    const cancelled = await waitForStatus(client, batch.id, 'cancelled');
    upstream.release();
    assert.deepEqual(cancelled.request_counts, { total: 8, completed: 2, failed: 0 });
    const outputs = await fileLines(client, cancelled.output_file_id);
    const errors = await fileLines(client, cancelled.error_file_id);
    assert.deepEqual(outputs.map((l) => l.custom_id).sort(), ['req-1', 'req-2']);
    assert.equal(errors.length, 6);
    assert.ok(errors.every((l) => l.error.code === 'batch_cancelled' && l.response === null));
    assert.equal((await eventsOf(relay, 'batch.cancelled')).filter((e) => e.payload.data.id === batch.id).length, 1);
    assert.equal((await client.batches.cancel(batch.id)).status, 'cancelled', 'cancelling again changes nothing');
  });

  it('refuses to cancel a completed batch, and bad create requests, with coded errors', async () => {
    const batch = await uploadAndCreate(client, inputLines(1));
    await waitForStatus(client, batch.id, 'completed');
    await assert.rejects(client.batches.cancel(batch.id), (e: InstanceType<typeof OpenAI.APIError>) => e.status === 409);
    const file = await client.files.create({ file: await toFile(Buffer.from(inputLines(1)), 'x.jsonl'), purpose: 'batch' });
    await assert.rejects(
      client.batches.create({ input_file_id: file.id, endpoint: '/v1/embeddings', completion_window: '24h' }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 400 && /endpoint/.test(e.message),
    );
    await assert.rejects(
      client.batches.create({ input_file_id: 'file_nope', endpoint: '/v1/responses', completion_window: '24h' }),
      (e: InstanceType<typeof OpenAI.APIError>) => e.status === 404,
    );
  });

  it('runs /v1/chat/completions batches through the same queue', async () => {
    const line = (id: string) =>
      JSON.stringify({
        custom_id: id,
        method: 'POST',
        url: '/v1/chat/completions',
        body: { model: 'm', messages: [{ role: 'user', content: id }] },
      });
    const file = await client.files.create({
      file: await toFile(Buffer.from(`${line('c1')}\n${line('c2')}\n`), 'chat.jsonl'),
      purpose: 'batch',
    });
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const done = await waitForStatus(client, batch.id, 'completed');
    const outputs = await fileLines(client, done.output_file_id);
    assert.deepEqual(outputs.map((l) => l.custom_id).sort(), ['c1', 'c2']);
    assert.equal(outputs[0].response.body.object, 'chat.completion');
    assert.ok(upstream.requests.some((r) => r.path === '/v1/chat/completions'));
  });

  it('lists batches newest first with cursor paging', async () => {
    const page = await client.batches.list({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.ok(page.data[0].created_at >= page.data[1].created_at);
    const ids = [];
    for await (const b of client.batches.list({ limit: 2 })) ids.push(b.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.length >= 5);
  });
});
