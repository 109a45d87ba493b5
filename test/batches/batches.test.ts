import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { controlLines, type LineControl } from '../helpers/fake-openai-extras.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import {
  batchSections,
  eventsOf,
  fileLines,
  inputLines,
  sdk,
  startBatchRelay,
  uploadAndCreate,
  waitForStatus,
} from './batch-helpers.ts';

type ApiError = InstanceType<typeof OpenAI.APIError>;
const allIds = (n: number) => Array.from({ length: n }, (_, i) => `req-${i + 1}`).sort();

describe('batches through the relay', () => {
  let upstream: FakeOpenAI;
  let lines: LineControl;
  let relay: TestRelay;
  let client: OpenAI;

  before(async () => {
    upstream = await startFakeOpenAI();
    lines = controlLines(upstream);
    relay = await startBatchRelay(upstream, { concurrency: 3, maxInFlight: 2 });
    client = sdk(relay);
  });
  after(async () => {
    lines.release();
    await relay.stop();
    await upstream.close();
  });

  it('runs every line through the upstream and writes each custom_id exactly once', async () => {
    const created = await uploadAndCreate(client, inputLines(12, [3, 7]), { metadata: { job: 'nightly' } });
    assert.equal(created.status, 'validating');
    assert.deepEqual(created.metadata, { job: 'nightly' });
    const done = await waitForStatus(client, created.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 12, completed: 10, failed: 2 });
    assert.ok(done.in_progress_at && done.finalizing_at && done.completed_at);

    const outputs = await fileLines(client, done.output_file_id);
    const errors = await fileLines(client, done.error_file_id);
    assert.equal(outputs.length, 10);
    assert.equal(errors.length, 2);
    assert.deepEqual([...outputs, ...errors].map((l) => l.custom_id).sort(), allIds(12));
    const second = outputs.find((l) => l.custom_id === 'req-2');
    assert.equal(second?.response.status_code, 200);
    assert.equal(second?.response.body.object, 'chat.completion');
    assert.equal(second?.response.body.choices[0].message.content, 't0 t1 t2 t3 t4 ');
    assert.equal(second?.error, null);
    assert.match(second?.id, /^batch_req_/);
    const failed = errors.find((l) => l.custom_id === 'req-7');
    assert.equal(failed?.response.status_code, 400);
    assert.equal(failed?.response.body.error.message, 'fake failure 400');
    const sent = upstream.requests.filter((r) => r.path === '/v1/chat/completions');
    assert.deepEqual(
      sent.map((r) => r.body?.messages[0]?.content).filter((c) => String(c).endsWith(' 5')),
      ['hello 5'],
    );
  });

  it('runs /v1/responses lines through the Responses translation over the chat upstream, with usage and model', async () => {
    const sentBefore = upstream.requests.length;
    const batch = await uploadAndCreate(client, inputLines(3, [2], '/v1/responses'), { endpoint: '/v1/responses' });
    const done = await waitForStatus(client, batch.id, 'completed');
    assert.deepEqual(done.request_counts, { total: 3, completed: 2, failed: 1 });
    const outputs = await fileLines(client, done.output_file_id);
    const body = outputs[0].response.body;
    assert.equal(body.object, 'response');
    assert.equal(body.status, 'completed');
    assert.equal(body.output[0].content[0].text, 't0 t1 t2 t3 t4 ');
    assert.equal(outputs[0].response.request_id, body.id);
    const errors = await fileLines(client, done.error_file_id);
    assert.equal(errors[0].custom_id, 'req-2');
    assert.equal(errors[0].response.body.status, 'failed');
    // Every line went to the upstream's chat completions, none to its /responses.
    const sent = upstream.requests.slice(sentBefore);
    assert.ok(sent.length >= 3 && sent.every((r) => r.path === '/v1/chat/completions'));
    const withUsage = done as typeof done & { model: string; usage: { input_tokens: number; output_tokens: number } };
    assert.equal(withUsage.model, 'fake-model');
    assert.equal(withUsage.usage.output_tokens, 10, 'five tokens per completed line');
    assert.equal(withUsage.usage.input_tokens, 4, 'two words per completed line');
  });

  it('passes /v1/embeddings lines to the upstream /embeddings', async () => {
    upstream.route('POST', /^\/v1\/embeddings$/, (_req, res, body) => {
      const input = (body as { input: string }).input;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [input.length, 0.5] }],
          model: 'fake-embed',
          usage: { prompt_tokens: 2, total_tokens: 2 },
        }),
      );
    });
    const line = (n: number) =>
      JSON.stringify({
        custom_id: `e-${n}`,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'fake-embed', input: `abc${n}` },
      });
    const batch = await uploadAndCreate(client, `${line(1)}\n${line(22)}\n`, { endpoint: '/v1/embeddings' });
    const done = await waitForStatus(client, batch.id, 'completed');
    const outputs = await fileLines(client, done.output_file_id);
    assert.deepEqual(
      outputs.map((o) => o.response.body.data[0].embedding[0]),
      [4, 5],
    );
    assert.equal((done as typeof done & { usage: { input_tokens: number } }).usage.input_tokens, 4);
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

  it('tries a line again after a 5xx, and lists it as failed once the tries run out', async () => {
    upstream.script({ failStatus: 503 });
    const retried = await uploadAndCreate(client, inputLines(1));
    const ok = await waitForStatus(client, retried.id, 'completed');
    assert.deepEqual(ok.request_counts, { total: 1, completed: 1, failed: 0 });
    const before = upstream.requests.length;
    upstream.script({ failStatus: 500 }, { failStatus: 500 }, { failStatus: 500 });
    const exhausted = await uploadAndCreate(client, inputLines(1));
    // Nothing succeeded: the batch ends failed, not completed, and says why.
    const failed = await waitForStatus(client, exhausted.id, 'failed');
    assert.deepEqual(failed.request_counts, { total: 1, completed: 0, failed: 1 });
    assert.equal(failed.errors?.data?.[0]?.code, 'all_requests_failed');
    assert.equal(failed.completed_at, null);
    assert.ok(failed.failed_at);
    const announced = (await eventsOf(relay, 'batch.failed')).filter((e) => e.payload.data.id === exhausted.id);
    assert.deepEqual(Object.keys(announced[0]?.payload ?? {}).sort(), ['created_at', 'data', 'id', 'object', 'type']);
    assert.deepEqual(announced[0]?.payload.data, { id: exhausted.id });
    assert.equal((await eventsOf(relay, 'batch.completed')).filter((e) => e.payload.data.id === exhausted.id).length, 0);
    assert.equal(upstream.requests.length - before, 3, 'batches.lineAttempts (3) tries');
    const [line] = await fileLines(client, failed.error_file_id);
    assert.equal(line.response.status_code, 500);
  });

  it('lists a line whose model no upstream serves as failed without a response', async () => {
    const line = JSON.stringify({
      custom_id: 'x',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'unknown-model', messages: [] },
    });
    const relayNoMatch = await startBatchRelayFor(upstream, ['fake-*']);
    try {
      const other = sdk(relayNoMatch);
      const batch = await uploadAndCreate(other, `${line}\n`);
      const done = await waitForStatus(other, batch.id, 'failed');
      const [written] = await fileLines(other, done.error_file_id);
      assert.deepEqual([written.response, written.error.code], [null, 'model_not_found']);
    } finally {
      await relayNoMatch.stop();
    }
  });

  it('fails validation with the line number of each invalid line', async () => {
    const good = JSON.stringify({
      custom_id: 'a',
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model: 'm', messages: [] },
    });
    const wrongUrl = JSON.stringify({ custom_id: 'b', method: 'POST', url: '/v1/embeddings', body: { model: 'm' } });
    const batch = await uploadAndCreate(client, `${good}\n{not json\n${wrongUrl}\n${good}\n`);
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
    assert.equal((await eventsOf(relay, 'batch.failed')).filter((e) => e.payload.data.id === batch.id).length, 1);
  });

  it('cancels mid-batch: in-flight lines are aborted, the rest are listed as batch_cancelled', async () => {
    lines.holdFrom(3);
    const batch = await uploadAndCreate(client, inputLines(8));
    await waitFor(
      'two lines done and two parked',
      async () => (await client.batches.retrieve(batch.id)).request_counts?.completed === 2 && lines.parked === 2,
    );
    const parked = upstream.requests.filter((r) => r.paused);
    const cancelling = await client.batches.cancel(batch.id);
    assert.ok(cancelling.status === 'cancelling' || cancelling.status === 'cancelled');
    const cancelled = await waitForStatus(client, batch.id, 'cancelled');
    await waitFor('the parked upstream requests to be aborted', () => parked.every((r) => r.aborted));
    lines.release();
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
    await assert.rejects(
      client.batches.cancel(batch.id),
      (e: ApiError) => e.status === 409 && (e.error as { code: string }).code === 'batch_not_cancellable',
    );
    const file = await client.files.create({ file: await toFile(Buffer.from(inputLines(1)), 'x.jsonl'), purpose: 'batch' });
    await assert.rejects(
      client.batches.create({ input_file_id: file.id, endpoint: '/v1/completions', completion_window: '24h' }),
      (e: ApiError) => e.status === 400 && e.param === 'endpoint',
    );
    await assert.rejects(
      client.batches.create({ input_file_id: 'file_nope', endpoint: '/v1/responses', completion_window: '24h' }),
      (e: ApiError) => e.status === 404,
    );
  });

  it('lists batches newest first with cursor paging', async () => {
    const page = await client.batches.list({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.ok(page.data[0].created_at >= page.data[1].created_at);
    const ids = [];
    for await (const b of client.batches.list({ limit: 2 })) ids.push(b.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.length >= 6);
  });
});

function startBatchRelayFor(upstream: FakeOpenAI, models: string[]) {
  const sections = batchSections(upstream);
  return startRelay({ sections: { ...sections, ai: { ...sections.ai, upstreams: [{ ...sections.ai.upstreams[0], models }] } } });
}
