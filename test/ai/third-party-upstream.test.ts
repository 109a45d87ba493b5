import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
// mock-llm (npm @dwmkerr/mock-llm): an OpenAI-compatible mock server this project did not write. It
// answers chat completions by rules (default: echo the last message), streams content only, and lists
// models. docs/ai.md says what it lacks.
import { getDefaultConfig } from '@dwmkerr/mock-llm/dist/config.js';
import { createServer } from '@dwmkerr/mock-llm/dist/server.js';
import OpenAI from 'openai';
import { ADMIN_TOKEN, startRelay, type TestRelay } from '../helpers/relay.ts';
import { waitFor } from '../helpers/wait.ts';

const TOOL_ANSWER = JSON.stringify({
  id: 'chatcmpl-tool',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-5.2',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } }],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
});

describe('the relay in front of a third-party OpenAI-compatible mock server (mock-llm)', { timeout: 30_000 }, () => {
  let server: Server;
  let relay: TestRelay;
  let client: OpenAI;
  before(async () => {
    const config = getDefaultConfig();
    config.streaming = { chunkSize: 4, chunkIntervalMs: 1 };
    // Last match wins: a plain (non-streaming) tool call for messages that ask for the weather.
    config.rules.push({
      path: '/v1/chat/completions',
      method: 'POST',
      match: "body.stream != `true` && contains(body.messages[-1].content, 'weather')",
      response: { status: 200, content: TOOL_ANSWER },
    });
    const app = createServer(config, '127.0.0.1', 0);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const { port } = server.address() as AddressInfo;
    relay = await startRelay({
      sections: {
        ai: { backoffMs: 1, upstreams: [{ name: 'mock-llm', baseURL: `http://127.0.0.1:${port}/v1`, models: ['*'] }] },
      },
    });
    client = new OpenAI({ apiKey: ADMIN_TOKEN, baseURL: `${relay.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await relay.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('runs a background response to completion; usage is null because mock-llm reports none in streams', async () => {
    const created = await client.responses.create({ model: 'gpt-5.2', input: 'echo this sentence', background: true });
    const done = await waitFor('completion', async () => {
      const r = await client.responses.retrieve(created.id);
      return r.status === 'completed' ? r : undefined;
    });
    assert.equal(done.output_text, 'echo this sentence');
    assert.equal(done.usage, null);
  });

  it('streams a response with the SDK, and finishes a tool round trip from a function_call_output', async () => {
    const stream = client.responses.stream({ model: 'gpt-5.2', input: 'streamed words here' });
    const deltas: string[] = [];
    for await (const e of stream) if (e.type === 'response.output_text.delta') deltas.push(e.delta);
    assert.ok(deltas.length > 1);
    assert.equal((await stream.finalResponse()).output_text, 'streamed words here');
    const answer = await client.responses.create({
      model: 'gpt-5.2',
      input: [
        { role: 'user', content: 'weather in Rome?' },
        { type: 'function_call', call_id: 'call_w', name: 'weather', arguments: '{"city":"Rome"}' },
        { type: 'function_call_output', call_id: 'call_w', output: 'sunny and warm' },
      ],
      tools: [{ type: 'function', name: 'weather', parameters: null, strict: false }],
    });
    assert.equal(answer.output_text, 'sunny and warm');
  });

  it('lists its models through * and passes chat completions through, tool calls included', async () => {
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    assert.deepEqual(models, ['gpt-5.2']);
    const plain = await client.chat.completions.create({
      model: 'gpt-5.2',
      messages: [{ role: 'user', content: 'weather in Rome?' }],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    });
    assert.equal(plain.choices[0]?.message.tool_calls?.[0]?.id, 'call_w');
    const stream = await client.chat.completions.create({
      model: 'gpt-5.2',
      messages: [{ role: 'user', content: 'a streamed echo' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'a streamed echo');
  });
});
