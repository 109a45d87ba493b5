import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FakeOpenAI, sendJson, startFakeOpenAI } from '../helpers/fake-openai.ts';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';

interface UsageRow {
  model: string;
  key_id: string | null;
  chat_completions: number;
  input_tokens: number;
  output_tokens: number;
}

describe('models and chat completions', { timeout: 30_000 }, () => {
  let local: FakeOpenAI;
  let cloud: FakeOpenAI;
  let relay: TestRelay;
  let client: OpenAI;
  before(async () => {
    local = await startFakeOpenAI();
    cloud = await startFakeOpenAI();
    // The second upstream serves "*": its models come from asking it.
    cloud.route('GET', /^\/v1\/models$/, (_req, res) =>
      sendJson(res, 200, {
        object: 'list',
        data: [
          { id: 'cloud-large', object: 'model', created: 1700000000, owned_by: 'them' },
          { id: 'llama-local', object: 'model', created: 1700000001, owned_by: 'them' },
        ],
      }),
    );
    relay = await startRelay({
      sections: {
        ai: {
          backoffMs: 1,
          upstreams: [
            { name: 'local', baseURL: local.baseURL, models: ['llama-local', 'qwen-*'] },
            { name: 'cloud', baseURL: cloud.baseURL, models: ['*'] },
          ],
        },
      },
    });
    client = new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await relay.stop();
    await local.close();
    await cloud.close();
  });

  it('lists the configured models, each under the upstream that serves it, resolving * by asking', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m);
    assert.deepEqual(
      models.map((m) => [m.id, m.owned_by]),
      [
        ['llama-local', 'local'],
        ['cloud-large', 'cloud'],
      ],
    );
    assert.equal(models[1]?.created, 1700000000);
    assert.equal(models[1]?.object, 'model');
    const one = await client.models.retrieve('cloud-large');
    assert.equal(one.owned_by, 'cloud');
    assert.equal((await client.models.retrieve('llama-local')).owned_by, 'local');
    await assert.rejects(client.models.retrieve('cloud-missing'), { status: 404 });
  });

  it('passes a plain chat completion through to the right upstream and records usage per model', async () => {
    local.script({ tokens: ['Hel', 'lo'], usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const completion = await client.chat.completions.create({
      model: 'llama-local',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
    });
    assert.equal(completion.choices[0]?.message.content, 'Hello');
    assert.equal(completion.usage?.total_tokens, 5);
    assert.equal(local.requests.at(-1)?.body?.temperature, 0.2);
    const usage = await usageRows();
    const row = usage.find((r) => r.model === 'llama-local');
    assert.equal(row?.chat_completions, 1);
    assert.equal(row?.input_tokens, 3);
    assert.equal(row?.key_id, null);
  });

  it('streams a chat completion with tool calls; the usage chunk only when the client asked for it', async () => {
    cloud.script(
      { tokens: ['a', 'b'], toolCalls: [{ name: 'f', arguments: '{"x":1}' }], usage: { prompt_tokens: 4, completion_tokens: 6 } },
      { tokens: ['c'], usage: { prompt_tokens: 1, completion_tokens: 1 } },
    );
    const stream = await client.chat.completions.create({
      model: 'cloud-large',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(
      chunks.every((c) => c.choices.length === 1),
      'no usage chunk without stream_options.include_usage',
    );
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'ab');
    const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function?.arguments ?? '');
    assert.equal(args.join(''), '{"x":1}');
    assert.deepEqual(cloud.requests.at(-1)?.body?.stream_options, { include_usage: true });

    const withUsage = await client.chat.completions.create({
      model: 'cloud-large',
      messages: [{ role: 'user', content: 'go' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let reported: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of withUsage) reported = chunk.usage ?? reported;
    assert.equal(reported?.total_tokens, 2);
    const row = (await usageRows()).find((r) => r.model === 'cloud-large');
    assert.equal(row?.chat_completions, 2);
    assert.equal(row?.output_tokens, 7);
  });

  it('records usage per caller: the key that made the call', async () => {
    const made = await fetch(`${relay.url}/v1/keys`, {
      method: 'POST',
      headers: { ...relay.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'usage', scopes: ['ai'] }),
    });
    assert.equal(made.status, 201);
    const { id: keyId, key } = (await made.json()) as { id: string; key: string };
    const keyed = new OpenAI({ apiKey: key, baseURL: `${relay.url}/v1`, maxRetries: 0 });
    local.script(
      { tokens: ['x'], usage: { prompt_tokens: 2, completion_tokens: 1 } },
      { tokens: ['y'], usage: { prompt_tokens: 3, completion_tokens: 1 } },
    );
    await keyed.chat.completions.create({ model: 'llama-local', messages: [{ role: 'user', content: 'hi' }] });
    const r = await keyed.responses.create({ model: 'llama-local', input: 'hi' });
    assert.equal(r.status, 'completed');
    const rows = (await usageRows()).filter((row) => row.model === 'llama-local');
    const mine = rows.find((row) => row.key_id === keyId) as UsageRow & { responses: number };
    assert.deepEqual([mine.chat_completions, mine.responses, mine.input_tokens], [1, 1, 5]);
    assert.ok(
      rows.some((row) => row.key_id === null),
      "the admin token's usage stays on its own row",
    );
  });

  it('answers upstream refusals and bad bodies in OpenAI error shape', async () => {
    local.script({ failStatus: 400 });
    await assert.rejects(client.chat.completions.create({ model: 'llama-local', messages: [{ role: 'user', content: 'x' }] }), {
      status: 400,
      code: 'upstream_refused',
    });
    await assert.rejects(client.chat.completions.create({ model: '', messages: [{ role: 'user', content: 'x' }] }), {
      status: 400,
      code: 'invalid_request',
      param: 'model',
    });
    await assert.rejects(client.chat.completions.create({ model: 'llama-local', messages: [] }), {
      status: 400,
      param: 'messages',
      type: 'invalid_request_error',
    });
  });

  async function usageRows(): Promise<UsageRow[]> {
    const res = await fetch(`${relay.url}/v1/usage`, { headers: relay.auth });
    return ((await res.json()) as { data: UsageRow[] }).data;
  }
});
