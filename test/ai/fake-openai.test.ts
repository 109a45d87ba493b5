import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the fake OpenAI-compatible upstream', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;
  before(async () => {
    fake = await startFakeOpenAI();
    client = new OpenAI({ apiKey: 'k', baseURL: fake.baseURL, maxRetries: 0 });
  });
  after(() => fake.close());

  it('streams the scripted tokens with usage in the last chunk', async () => {
    fake.script({ tokens: ['Hel', 'lo'] });
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'say hello please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, 'Hello');
    assert.deepEqual(usage, { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
  });

  it('answers non-streaming requests with the whole completion', async () => {
    fake.script({ tokenCount: 3 });
    const completion = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(completion.choices[0]?.message.content, 't0 t1 t2 ');
    assert.equal(completion.usage?.completion_tokens, 3);
  });

  it('fails with the scripted status, then succeeds', async () => {
    fake.script({ failStatus: 429 }, { tokenCount: 1 });
    await assert.rejects(client.chat.completions.create({ model: 'm', messages: [] }), { status: 429 });
    const ok = await client.chat.completions.create({ model: 'm', messages: [] });
    assert.equal(ok.choices[0]?.message.content, 't0 ');
  });

  it('records that a paused request was aborted by the client', async () => {
    fake.script({ tokenCount: 10, pauseAfter: 2 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', messages: [], stream: true },
      { signal: controller.signal },
    );
    const record = fake.requests.at(-1);
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) seen++;
      if (seen === 2) controller.abort();
    }
    await waitFor('the fake to see the abort', () => record?.aborted);
    assert.equal(record?.tokensSent, 2);
  });
});
