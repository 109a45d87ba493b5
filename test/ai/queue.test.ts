import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import type { AiQueue } from '../../server/ai/queue.ts';
import { AI_QUEUE } from '../../server/batches/types.ts';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

const complete = (client: OpenAI, model: string, signal: AbortSignal) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { signal });

describe('the ai.queue service', { timeout: 20_000 }, () => {
  let fake: FakeOpenAI;
  let relay: TestRelay;
  let queue: AiQueue;
  before(async () => {
    fake = await startFakeOpenAI();
    relay = await startRelay({
      driver: 'memory',
      sections: { ai: { concurrency: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] } },
    });
    queue = relay.relay.ctx.services.get(AI_QUEUE) as AiQueue;
  });
  after(async () => {
    await relay.stop();
    await fake.close();
  });

  it('runs a job against the upstream chosen by model glob', async () => {
    fake.script({ tokens: ['ok'] });
    const answer = await queue.run({
      model: 'fake-1',
      priority: 'normal',
      execute: async (client, upstream, signal) => ({
        upstream: upstream.name,
        text: (await complete(client, 'fake-1', signal)).choices[0]?.message.content,
      }),
    });
    assert.deepEqual(answer, { upstream: 'fake', text: 'ok' });
  });

  it('refuses a model no upstream serves with model_not_found', async () => {
    await assert.rejects(queue.run({ model: 'other', priority: 'normal', execute: async () => 1 }), { code: 'model_not_found' });
  });

  it('keeps to the concurrency limit and starts high priority jobs first', async () => {
    fake.script({ tokens: ['first'], pauseAfter: 0 });
    const order: string[] = [];
    const job = (name: string, priority: 'high' | 'normal' | 'low') =>
      queue.run({
        model: 'fake-1',
        priority,
        execute: async (client, _u, signal) => {
          order.push(name);
          return (await complete(client, 'fake-1', signal)).choices[0]?.message.content;
        },
      });
    const blocker = job('blocker', 'normal');
    await waitFor('the blocker to pause upstream', () => fake.requests.at(-1)?.paused);
    const low = job('low', 'low');
    const normal = job('normal', 'normal');
    const high = job('high', 'high');
    assert.deepEqual(queue.stats(), [{ upstream: 'fake', running: 1, waiting: 3 }]);
    fake.release();
    await Promise.all([blocker, low, normal, high]);
    assert.deepEqual(order, ['blocker', 'high', 'normal', 'low']);
  });

  it('drops a waiting job whose signal aborts, without running it', async () => {
    fake.script({ tokens: ['x'], pauseAfter: 0 });
    let ran = false;
    const running = queue.run({ model: 'fake-1', priority: 'normal', execute: (c, _u, s) => complete(c, 'fake-1', s) });
    await waitFor('the first job to pause upstream', () => fake.requests.at(-1)?.paused);
    const controller = new AbortController();
    const waiting = queue.run({
      model: 'fake-1',
      priority: 'high',
      signal: controller.signal,
      execute: async () => (ran = true),
    });
    controller.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
    assert.equal(queue.stats()[0]?.waiting, 0);
    fake.release();
    await running;
    assert.equal(ran, false);
  });
});
