import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../helpers/wait.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

describe('response timeout and retention', { timeout: 20_000 }, () => {
  let h: AiHarness;
  const clock = new FakeClock();
  before(async () => {
    h = await startAiRelay({ timeoutSeconds: 30, retentionDays: 7, backoffMs: 0 }, { clock });
  });
  after(() => h.stop());

  it('fails a response that runs longer than ai.timeoutSeconds and aborts its upstream call', async () => {
    h.fake.script({ tokenCount: 5, pauseAfter: 1 });
    const created = await h.client.responses.create({ model: 'fake-1', input: 'x', background: true });
    const upstream = await waitFor('the upstream to pause', () => h.fake.requests.find((r) => r.paused));
    // The first token left the upstream; the relay must have read it before the timeout cuts the call.
    await waitFor('the relay to stream the first token', async () => {
      return (await h.client.responses.retrieve(created.id)).output_text === 't0 ';
    });
    clock.advance(30_001);
    const failed = await waitFor('the timeout', async () => {
      const r = await h.client.responses.retrieve(created.id);
      return r.status === 'failed' ? r : undefined;
    });
    assert.equal((failed.error as { hookrelay_code?: string } | null)?.hookrelay_code, 'timeout');
    assert.equal(failed.output_text, 't0 ');
    await waitFor('the upstream to see the abort', () => upstream.aborted);
  });

  it('removes finished responses and their streams after ai.retentionDays', async () => {
    h.fake.script({ tokens: ['keep me'] });
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x' });
    assert.equal(r.status, 'completed');
    clock.jump(6 * 86_400_000);
    assert.equal((await h.client.responses.retrieve(r.id)).status, 'completed');
    clock.jump(2 * 86_400_000);
    await waitFor('the sweep', async () => {
      const res = await fetch(`${h.relay.url}/v1/responses/${r.id}`, { headers: h.relay.auth });
      return res.status === 404;
    });
    const usage = (await (await fetch(`${h.relay.url}/v1/usage`, { headers: h.relay.auth })).json()) as { data: unknown[] };
    assert.ok(usage.data.length > 0, 'usage totals outlive the responses');
  });
});

describe('ai.maxQueued', { timeout: 20_000 }, () => {
  it('refuses a create with 429 ai_queue_full once that many responses wait for the upstream', async () => {
    const h = await startAiRelay({ concurrency: 1, maxQueued: 1 }, { driver: 'memory' });
    try {
      h.fake.script({ tokens: ['a'], pauseAfter: 0 });
      await h.client.responses.create({ model: 'fake-1', input: 'runs', background: true });
      await waitFor('the first response to hold the slot', () => h.fake.requests.at(-1)?.paused);
      await h.client.responses.create({ model: 'fake-1', input: 'waits', background: true });
      await assert.rejects(
        h.client.responses.create({ model: 'fake-1', input: 'refused', background: true }),
        (err: { status: number; error: { code: string } }) => {
          assert.equal(err.status, 429);
          assert.equal(err.error.code, 'ai_queue_full');
          return true;
        },
      );
      const list = (await (await fetch(`${h.relay.url}/v1/responses`, { headers: h.relay.auth })).json()) as { data: unknown[] };
      assert.equal(list.data.length, 2);
      h.fake.release();
    } finally {
      await h.stop();
    }
  });
});

describe('the priority extension field', { timeout: 20_000 }, () => {
  it('gives waiting high priority responses the upstream slot first', async () => {
    const h = await startAiRelay({ concurrency: 1 }, { driver: 'memory' });
    try {
      h.fake.script({ tokens: ['a'], pauseAfter: 0 });
      await h.client.responses.create({ model: 'fake-1', input: 'first', background: true });
      await waitFor('the first response to hold the slot', () => h.fake.requests.at(-1)?.paused);
      const created: Array<{ id: string }> = [];
      for (const priority of ['low', 'normal', 'high']) {
        // biome-ignore lint/suspicious/noExplicitAny: hookrelay extension field, not in the SDK's types
        created.push(await h.client.responses.create({ model: 'fake-1', input: priority, background: true, priority } as any));
      }
      h.fake.release();
      await waitFor('all to finish', async () => {
        const all = await Promise.all(created.map((r) => h.client.responses.retrieve(r.id)));
        return all.every((r) => r.status === 'completed');
      });
      const order = h.fake.requests.map((r) => r.body?.messages.at(-1)?.content);
      assert.deepEqual(order, ['first', 'high', 'normal', 'low']);
    } finally {
      await h.stop();
    }
  });
});
