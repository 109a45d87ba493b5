import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIError } from 'openai';
import type OpenAI from 'openai';
import { type AiHarness, startAiRelay } from './helpers.ts';

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

describe('function tools over a chat-completions upstream', { timeout: 30_000 }, () => {
  let h: AiHarness;
  before(async () => {
    h = await startAiRelay();
  });
  after(() => h.stop());

  it('runs a tool round trip: call → function_call → function_call_output → answer', async () => {
    h.fake.script({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}', id: 'call_abc' }] });
    const first = await h.client.responses.create({
      model: 'fake-1',
      input: 'Weather in Paris?',
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    assert.equal(first.status, 'completed');
    const call = first.output.find((i) => i.type === 'function_call');
    assert.ok(call && call.type === 'function_call');
    assert.equal(call.call_id, 'call_abc');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    assert.match(call.id ?? '', /^fc_/);
    assert.deepEqual(first.tools, [weatherTool]);
    assert.equal(first.tool_choice, 'required');
    const sent = h.fake.requests.at(-1)?.body;
    assert.deepEqual(sent?.tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather in a city',
          parameters: weatherTool.parameters,
          strict: true,
        },
      },
    ]);
    assert.equal(sent?.tool_choice, 'required');
    assert.equal(sent?.parallel_tool_calls, false);

    h.fake.script({ tokens: ['Sunny', ' in Paris'] });
    const second = await h.client.responses.create({
      model: 'fake-1',
      tools: [weatherTool],
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        call,
        { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"clear"}' },
      ],
    });
    assert.equal(second.output_text, 'Sunny in Paris');
    assert.deepEqual(h.fake.requests.at(-1)?.body?.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_abc', content: '{"sky":"clear"}' },
    ]);
  });

  it('streams a tool call with the events the SDK types define, and the SDK accumulates it', async () => {
    h.fake.script({ tokens: ['Let me check. '], toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo"}' }] });
    const stream = h.client.responses.stream({ model: 'fake-1', input: 'Oslo?', tools: [weatherTool] });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const final = await stream.finalResponse();
    const types = events.map((e) => e.type);
    const callAdded = types.indexOf('response.output_item.added', types.indexOf('response.output_item.done'));
    assert.deepEqual(types.slice(callAdded, callAdded + 5), [
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
    ]);
    const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    assert.equal(deltas.map((d) => d.delta).join(''), '{"city":"Oslo"}');
    assert.ok(deltas.every((d) => d.output_index === 1));
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    assert.equal(done?.arguments, '{"city":"Oslo"}');
    assert.deepEqual(
      final.output.map((i) => i.type),
      ['message', 'function_call'],
    );
    const call = final.output[1];
    assert.ok(call?.type === 'function_call' && call.call_id.length > 0 && call.status === 'completed');
    assert.equal(final.output_text, 'Let me check. ');
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
  });

  it('keeps at most max_tool_calls calls', async () => {
    h.fake.script({
      toolCalls: [
        { name: 'get_weather', arguments: '{"city":"A"}' },
        { name: 'get_weather', arguments: '{"city":"B"}' },
      ],
    });
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x', tools: [weatherTool], max_tool_calls: 1 });
    assert.equal(r.output.filter((i) => i.type === 'function_call').length, 1);
    assert.equal(r.max_tool_calls, 1);
  });

  it('accepts an empty tool list without sending tools upstream', async () => {
    h.fake.script({ tokens: ['ok'] });
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x', tools: [] });
    assert.equal(r.output_text, 'ok');
    assert.equal('tools' in (h.fake.requests.at(-1)?.body ?? {}), false);
  });

  it('refuses built-in tools by name, and tool choices naming unknown functions', async () => {
    const builtIns: OpenAI.Responses.Tool[] = [
      { type: 'web_search' },
      { type: 'file_search', vector_store_ids: ['vs_1'] },
      { type: 'code_interpreter', container: { type: 'auto' } },
      { type: 'image_generation' },
      { type: 'mcp', server_label: 'x', server_url: 'https://example.invalid' },
    ];
    const before = h.fake.requests.length;
    for (const tool of builtIns) {
      await assert.rejects(
        h.client.responses.create({ model: 'fake-1', input: 'x', tools: [weatherTool, tool] }),
        (err: APIError) => {
          assert.equal(err.status, 400);
          assert.equal(err.code, 'unsupported_tool');
          assert.equal(err.param, 'tools[1].type');
          assert.match(err.message, new RegExp(`"${tool.type}"`));
          return true;
        },
      );
    }
    await assert.rejects(
      h.client.responses.create({
        model: 'fake-1',
        input: 'x',
        tools: [weatherTool],
        tool_choice: { type: 'function', name: 'nope' },
      }),
      { status: 400, param: 'tool_choice.name' },
    );
    assert.equal(h.fake.requests.length, before, 'nothing reached the upstream');
  });
});
