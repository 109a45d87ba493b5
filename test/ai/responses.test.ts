import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

describe('/v1/responses with the openai SDK', { timeout: 30_000 }, () => {
  let h: AiHarness;
  before(async () => {
    h = await startAiRelay();
  });
  after(() => h.stop());

  it('runs a background response detached, and polling shows it completed with text and usage', async () => {
    h.fake.script({ tokens: ['Hello', ', ', 'world'], usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const created = await h.client.responses.create({ model: 'fake-1', input: 'Say hello', background: true });
    assert.equal(created.status, 'queued');
    assert.match(created.id, /^resp_/);
    const done = await waitFor('completion', async () => {
      const r = await h.client.responses.retrieve(created.id);
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.output_text, 'Hello, world');
    assert.equal(done.usage?.input_tokens, 7);
    assert.equal(done.usage?.output_tokens, 3);
    assert.equal(done.usage?.total_tokens, 10);
    const sent = h.fake.requests.at(-1)?.body;
    assert.deepEqual(sent?.messages, [{ role: 'user', content: 'Say hello' }]);
    assert.equal(sent?.stream, true);
  });

  it('returns the finished object for a call that is neither background nor streaming', async () => {
    h.fake.script({ tokens: ['a', 'b'] });
    const r = await h.client.responses.create({
      model: 'fake-1',
      input: [{ role: 'user', content: 'x' }],
      instructions: 'be brief',
    });
    assert.equal(r.status, 'completed');
    assert.equal(r.output_text, 'ab');
    assert.deepEqual(h.fake.requests.at(-1)?.body?.messages, [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'x' },
    ]);
  });

  it('streams Responses events in order with increasing sequence numbers', async () => {
    h.fake.script({ tokens: ['one ', 'two'] });
    const stream = await h.client.responses.create({ model: 'fake-1', input: 'x', stream: true, background: true });
    const events = [];
    for await (const event of stream) events.push(event);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        'response.created',
        'response.queued',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
  });

  it('resumes a dropped stream with starting_after: exactly the remaining events, live to the end', async () => {
    h.fake.script({ tokenCount: 8, pauseAfter: 3 });
    const controller = new AbortController();
    const first = await h.client.responses.create(
      { model: 'fake-1', input: 'x', stream: true, background: true },
      { signal: controller.signal },
    );
    const seen: number[] = [];
    let id = '';
    for await (const event of first) {
      if (event.type === 'response.created') id = event.response.id;
      seen.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') {
        controller.abort();
        break;
      }
    }
    const k = seen.at(-1) as number;
    const upstream = h.fake.requests.at(-1);
    await waitFor('the upstream to pause', () => upstream?.paused);
    // Resume while the response is still running: stored events first, then live ones.
    const resumed = await h.client.responses.retrieve(id, { stream: true, starting_after: k });
    h.fake.release();
    const rest: Array<{ type: string; sequence_number: number }> = [];
    for await (const event of resumed) rest.push(event);
    assert.equal(rest[0]?.sequence_number, k + 1);
    assert.deepEqual(
      rest.map((e) => e.sequence_number),
      rest.map((_, i) => k + 1 + i),
    );
    assert.equal(rest.at(-1)?.type, 'response.completed');
    assert.equal(rest.filter((e) => e.type === 'response.output_text.delta').length, 7);
  });

  it('replays the whole stream for the SDK helper, which filters by starting_after itself', async () => {
    h.fake.script({ tokens: ['x', 'y', 'z'] });
    const created = await h.client.responses.create({ model: 'fake-1', input: 'x', background: true });
    await waitFor('completion', async () => (await h.client.responses.retrieve(created.id)).status === 'completed');
    const stream = h.client.responses.stream({ response_id: created.id, starting_after: 6 });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    assert.equal(final.output_text, 'xyz');
    assert.deepEqual(types, [
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('cancels mid-stream: the upstream request is aborted, the status is cancelled and no event follows', async () => {
    h.fake.script({ tokenCount: 10, pauseAfter: 2 });
    const created = await h.client.responses.create({ model: 'fake-1', input: 'x', background: true });
    const upstream = await waitFor('the upstream to pause', () => h.fake.requests.find((r) => r.paused));
    const cancelled = await h.client.responses.cancel(created.id);
    assert.equal(cancelled.status, 'cancelled');
    await waitFor('the upstream to see the abort', () => upstream.aborted);
    assert.equal(upstream.tokensSent, 2);
    const again = await h.client.responses.cancel(created.id);
    assert.equal(again.status, 'cancelled');
    const replay = await h.client.responses.retrieve(created.id, { stream: true });
    const events: Array<{ type: string }> = [];
    for await (const event of replay) events.push(event);
    assert.equal(events.at(-1)?.type, 'response.cancelled');
    assert.equal(events.filter((e) => e.type === 'response.output_text.delta').length, 2);
  });

  it('cancels a streaming call that is not background when its client goes away, but not a background one', async () => {
    for (const background of [false, true]) {
      h.fake.script({ tokenCount: 6, pauseAfter: 2 });
      const controller = new AbortController();
      const stream = await h.client.responses.create(
        { model: 'fake-1', input: 'x', stream: true, background },
        { signal: controller.signal },
      );
      let id = '';
      for await (const event of stream) {
        if (event.type === 'response.created') id = event.response.id;
        if (event.type === 'response.output_text.delta') break;
      }
      controller.abort();
      const upstream = h.fake.requests.at(-1);
      if (background) {
        await waitFor('the upstream to pause', () => upstream?.paused);
        h.fake.release();
        const done = await waitFor('the background response to complete', async () => {
          const r = await h.client.responses.retrieve(id);
          return r.status === 'completed' ? r : undefined;
        });
        assert.equal(done.output_text, 't0 t1 t2 t3 t4 t5 ');
      } else {
        await waitFor('the upstream to see the abort', () => upstream?.aborted);
        assert.equal((await h.client.responses.retrieve(id)).status, 'cancelled');
      }
    }
  });

  it('retries an upstream 429 before the first token and then completes', async () => {
    h.fake.script({ failStatus: 429 }, { failStatus: 500 }, { tokens: ['ok'] });
    const before = h.fake.requests.length;
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x' });
    assert.equal(r.status, 'completed');
    assert.equal(r.output_text, 'ok');
    assert.equal(h.fake.requests.length - before, 3);
  });

  it('fails with a coded error once the retries are used up', async () => {
    h.fake.script({ failStatus: 429 }, { failStatus: 429 }, { failStatus: 429 }, { failStatus: 429 });
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x' });
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'rate_limit_exceeded');
  });

  it('answers the same Idempotency-Key and body with the same response, and a different body with 409', async () => {
    const body = { model: 'fake-1', input: 'idem', background: true };
    const a = await h.client.responses.create(body, { headers: { 'Idempotency-Key': 'k-1' } });
    const b = await h.client.responses.create(body, { headers: { 'Idempotency-Key': 'k-1' } });
    assert.equal(a.id, b.id);
    await assert.rejects(
      h.client.responses.create({ ...body, input: 'other' }, { headers: { 'Idempotency-Key': 'k-1' } }),
      (err: { status: number; error: { code: string }; headers: Headers }) => {
        assert.equal(err.status, 409);
        assert.equal(err.error.code, 'idempotency_key_reused');
        assert.equal(err.headers.get('x-should-retry'), 'false');
        return true;
      },
    );
  });

  it('refuses unknown fields, cancelling a non-background response and unknown ids with coded errors', async () => {
    const res = await fetch(`${h.relay.url}/v1/responses`, {
      method: 'POST',
      headers: { ...h.relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake-1', input: 'x', frobnicate: true }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      error: {
        message: '"frobnicate" is not a parameter hookrelay supports on /v1/responses.',
        type: 'invalid_request_error',
        param: 'frobnicate',
        code: 'unknown_parameter',
      },
    });
    h.fake.script({ tokens: ['a'] });
    const plain = await h.client.responses.create({ model: 'fake-1', input: 'x' });
    await assert.rejects(h.client.responses.cancel(plain.id), { status: 400 });
    await assert.rejects(h.client.responses.retrieve('resp_nope'), { status: 404 });
    await assert.rejects(h.client.responses.create({ model: 'gpt-unknown', input: 'x' }), { status: 400 });
  });

  it('deletes a response', async () => {
    h.fake.script({ tokens: ['a'] });
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x' });
    await h.client.responses.delete(r.id);
    await assert.rejects(h.client.responses.retrieve(r.id), { status: 404 });
  });

  it('aggregates usage per model and day, and announces every state change on the bus', async () => {
    const res = await fetch(`${h.relay.url}/v1/usage`, { headers: h.relay.auth });
    const { data } = (await res.json()) as {
      data: Array<{ model: string; completed: number; input_tokens: number; output_tokens: number }>;
    };
    const row = data.find((d) => d.model === 'fake-1');
    assert.ok(row && row.completed >= 5 && row.output_tokens >= 10 && row.input_tokens >= 7);
    const old = await fetch(`${h.relay.url}/v1/usage?start_date=2000-01-01&end_date=2000-12-31`, { headers: h.relay.auth });
    assert.deepEqual(((await old.json()) as { data: unknown[] }).data, []);
    const bad = await fetch(`${h.relay.url}/v1/usage?start_date=yesterday`, { headers: h.relay.auth });
    assert.equal(bad.status, 400);
    const metrics = await (await fetch(`${h.relay.url}/metrics`)).text();
    assert.match(metrics, /hookrelay_ai_responses_total\{model="fake-1",status="completed"\} [1-9]/);
    assert.match(metrics, /hookrelay_ai_upstream_retries_total [1-9]/);
    assert.match(metrics, /hookrelay_ai_upstream_waiting\{upstream="fake"\} 0/);
    const events = await fetch(`${h.relay.url}/v1/events?source=ai&type=response.completed`, { headers: h.relay.auth });
    const list = (await events.json()) as { data: Array<{ payload: { object: string; type: string; data: { id: string } } }> };
    assert.ok(list.data.length >= 5);
    const payload = list.data[0]?.payload;
    assert.equal(payload?.object, 'event');
    assert.match(payload?.data.id ?? '', /^resp_/);
  });
});
