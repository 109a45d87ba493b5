import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { FakeClock } from '../helpers/fake-clock.ts';
import { startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';
import { call, createKey } from './helpers.ts';

describe('per-key limits', () => {
  let fake: FakeOpenAI;
  let relay: TestRelay;
  const clock = new FakeClock(Date.parse('2026-03-10T12:00:00Z'));
  // The SDK retries 429s by default; here every 429 must reach the test.
  const sdk = (key: string) => new OpenAI({ apiKey: key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
  before(async () => {
    fake = await startFakeOpenAI();
    relay = await startRelay({
      driver: 'memory',
      clock,
      sections: { ai: { backoffMs: 1, upstreams: [{ name: 'fake', baseURL: fake.baseURL, models: ['fake-*'] }] } },
    });
  });
  after(async () => {
    await relay.stop();
    await fake.close();
  });

  it('answers 429 rate_limited with Retry-After once a key spent its requests_per_minute, and refills over the minute', async () => {
    const k = await createKey(relay, { name: 'slow', scopes: ['events:read', 'ai'], limits: { requests_per_minute: 3 } });
    for (let i = 0; i < 3; i++) assert.equal((await call(relay, k.key, 'GET', '/v1/events')).status, 200);
    const refused = await call(relay, k.key, 'GET', '/v1/events');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.equal(refused.headers.get('retry-after'), '20');
    // The official SDK sees the same 429 on an AI route.
    await assert.rejects(sdk(k.key).files.list(), (err: InstanceType<typeof OpenAI.RateLimitError>) => {
      assert.equal(err.status, 429);
      assert.equal(err.headers.get('retry-after'), '20');
      return true;
    });
    clock.advance(20_000);
    assert.equal((await call(relay, k.key, 'GET', '/v1/events')).status, 200);
    assert.equal((await call(relay, k.key, 'GET', '/v1/events')).status, 429);
    // Another key, and the admin token, are not affected.
    const other = await createKey(relay, { name: 'other', scopes: ['events:read'] });
    assert.equal((await call(relay, other.key, 'GET', '/v1/events')).status, 200);
  });

  it('refuses new AI work with OpenAI insufficient_quota once ai_tokens_per_day is used, until the next UTC day', async () => {
    const k = await createKey(relay, { name: 'daily', scopes: ['ai'], limits: { ai_tokens_per_day: 10 } });
    const client = sdk(k.key);
    fake.script({ usage: { prompt_tokens: 4, completion_tokens: 8 } });
    const first = await client.responses.create({ model: 'fake-1', input: 'hello' });
    assert.equal(first.status, 'completed');
    await assert.rejects(
      client.responses.create({ model: 'fake-1', input: 'again' }),
      (err: InstanceType<typeof OpenAI.APIError>) => {
        assert.equal(err.status, 429);
        assert.equal(err.code, 'insufficient_quota');
        assert.equal(err.type, 'insufficient_quota');
        assert.equal(err.param, null);
        return true;
      },
    );
    const raw = await call(relay, k.key, 'POST', '/v1/responses', { model: 'fake-1', input: 'x' });
    assert.deepEqual(Object.keys(raw.body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.deepEqual(
      [raw.body.error.code, raw.body.error.type, raw.body.error.param],
      ['insufficient_quota', 'insufficient_quota', null],
    );
    // Reading what it made is still allowed.
    assert.equal((await client.responses.retrieve(first.id)).id, first.id);
    clock.advance(12 * 3600_000);
    assert.equal((await client.responses.create({ model: 'fake-1', input: 'next day' })).status, 'completed');
  });

  it('counts ai_tokens_per_month over the UTC month', async () => {
    const k = await createKey(relay, { name: 'monthly', scopes: ['ai'], limits: { ai_tokens_per_month: 15 } });
    const client = sdk(k.key);
    fake.script({ usage: { prompt_tokens: 2, completion_tokens: 8 } }, { usage: { prompt_tokens: 2, completion_tokens: 8 } });
    await client.responses.create({ model: 'fake-1', input: 'one' });
    clock.advance(24 * 3600_000);
    await client.responses.create({ model: 'fake-1', input: 'two' });
    await assert.rejects(client.responses.create({ model: 'fake-1', input: 'three' }), {
      status: 429,
      code: 'insufficient_quota',
    });
  });

  it('queues background responses beyond ai_concurrent until one of the key finishes', async () => {
    const k = await createKey(relay, { name: 'one at a time', scopes: ['ai'], limits: { ai_concurrent: 1 } });
    const client = sdk(k.key);
    const before = fake.requests.length;
    fake.script({ tokens: ['a', 'b'], pauseAfter: 1 });
    const first = await client.responses.create({ model: 'fake-1', input: 'first', background: true });
    const second = await client.responses.create({ model: 'fake-1', input: 'second', background: true });
    await waitFor('the first one running upstream', () => fake.requests.slice(before).some((r) => r.paused));
    // A key without the limit is not held back meanwhile.
    const free = await createKey(relay, { name: 'free', scopes: ['ai'] });
    assert.equal((await sdk(free.key).responses.create({ model: 'fake-1', input: 'free' })).status, 'completed');
    assert.equal((await client.responses.retrieve(second.id)).status, 'queued');
    assert.equal(fake.requests.slice(before).filter((r) => JSON.stringify(r.body).includes('second')).length, 0);
    fake.script({ tokens: ['c'] });
    fake.release();
    const done = await waitFor('the second one completed', async () => {
      const r = await client.responses.retrieve(second.id);
      return r.status === 'completed' ? r : null;
    });
    assert.equal(done.output_text, 'c');
    assert.equal((await client.responses.retrieve(first.id)).status, 'completed');
  });
});
