import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIError } from 'openai';
import type OpenAI from 'openai';
import { type AiHarness, startAiRelay } from './helpers.ts';

describe('Responses create parameters', { timeout: 30_000 }, () => {
  let h: AiHarness;
  before(async () => {
    h = await startAiRelay();
  });
  after(() => h.stop());

  it('passes the common parameters on to the chat upstream and echoes them', async () => {
    h.fake.script({ tokens: ['ok'] });
    const r = await h.client.responses.create({
      model: 'fake-1',
      input: 'x',
      temperature: 0.3,
      top_p: 0.9,
      max_output_tokens: 77,
      user: 'u-1',
      safety_identifier: 'safe-1',
      prompt_cache_key: 'cache-1',
      metadata: { ticket: 'T-1' },
      store: true,
      reasoning: { effort: 'low', summary: 'auto' },
      service_tier: 'flex',
      truncation: 'auto',
      prompt_cache_retention: '24h',
      include: ['reasoning.encrypted_content'],
      stream_options: { include_obfuscation: false },
    });
    const sent = h.fake.requests.at(-1)?.body ?? { model: '', messages: [] };
    assert.equal(sent.temperature, 0.3);
    assert.equal(sent.top_p, 0.9);
    assert.equal(sent.max_tokens, 77);
    assert.equal(sent.user, 'u-1');
    assert.equal(sent.safety_identifier, 'safe-1');
    assert.equal(sent.prompt_cache_key, 'cache-1');
    assert.equal(sent.reasoning_effort, 'low');
    assert.deepEqual(sent.stream_options, { include_usage: true });
    for (const ignored of ['service_tier', 'truncation', 'prompt_cache_retention', 'metadata', 'store', 'reasoning']) {
      assert.equal(ignored in sent, false, `${ignored} is not sent upstream`);
    }
    assert.equal(r.top_p, 0.9);
    assert.equal(r.user, 'u-1');
    assert.equal(r.safety_identifier, 'safe-1');
    assert.equal(r.prompt_cache_key, 'cache-1');
    assert.deepEqual(r.metadata, { ticket: 'T-1' });
    assert.deepEqual(r.reasoning, { effort: 'low', summary: 'auto' });
    assert.equal(r.service_tier, 'flex');
    assert.equal(r.truncation, 'auto');
    assert.equal((r as { store?: boolean }).store, true);
  });

  it('asks for logprobs with top_logprobs and returns them on the text', async () => {
    h.fake.script({ tokens: ['a', 'b'], logprobs: true });
    const r = await h.client.responses.create({
      model: 'fake-1',
      input: 'x',
      top_logprobs: 2,
      include: ['message.output_text.logprobs'],
    });
    const sent = h.fake.requests.at(-1)?.body;
    assert.equal(sent?.logprobs, true);
    assert.equal(sent?.top_logprobs, 2);
    const part = r.output[0]?.type === 'message' ? r.output[0].content[0] : undefined;
    assert.ok(part?.type === 'output_text');
    assert.deepEqual(
      part.logprobs?.map((l) => l.token),
      ['a', 'b'],
    );
    const replay = [];
    for await (const e of await h.client.responses.retrieve(r.id, { stream: true })) replay.push(e);
    const deltas = replay.filter((e) => e.type === 'response.output_text.delta');
    assert.deepEqual(
      deltas.map((d) => d.logprobs[0]?.token),
      ['a', 'b'],
    );
  });

  it('turns reasoning_content into a reasoning item, streamed with reasoning_text events', async () => {
    h.fake.script({
      reasoning: ['Think', 'ing.'],
      tokens: ['Answer'],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 8,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 6 },
      },
    });
    const stream = await h.client.responses.create({ model: 'fake-1', input: 'x', stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(3, 10), [
      'response.output_item.added',
      'response.content_part.added',
      'response.reasoning_text.delta',
      'response.reasoning_text.delta',
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ]);
    const final = events.at(-1);
    assert.ok(final?.type === 'response.completed');
    const [reasoning, message] = final.response.output;
    assert.ok(reasoning?.type === 'reasoning');
    assert.deepEqual(reasoning.content, [{ type: 'reasoning_text', text: 'Thinking.' }]);
    assert.ok(message?.type === 'message');
    const delta = events.find((e) => e.type === 'response.output_text.delta');
    assert.equal(delta?.type === 'response.output_text.delta' && delta.output_index, 1);
    assert.equal(final.response.usage?.input_tokens_details.cached_tokens, 4);
    assert.equal(final.response.usage?.output_tokens_details.reasoning_tokens, 6);
    const retrieved = await h.client.responses.retrieve(final.response.id);
    assert.deepEqual(retrieved.output, final.response.output);
    // The stored stream replays exactly what was streamed live.
    const replay = [];
    for await (const e of await h.client.responses.retrieve(final.response.id, { stream: true })) replay.push(e);
    assert.deepEqual(replay, events);
  });

  it('says usage is null when the upstream reports none, rather than zeros', async () => {
    h.fake.script({ tokens: ['x'], noUsage: true });
    const r = await h.client.responses.create({ model: 'fake-1', input: 'x' });
    assert.equal(r.status, 'completed');
    assert.equal(r.usage, null);
  });

  it('refuses background without store as OpenAI does', async () => {
    await assert.rejects(h.client.responses.create({ model: 'fake-1', input: 'x', background: true, store: false }), {
      status: 400,
      param: 'store',
    });
  });

  it('answers every refused field with 400, its code and param', async () => {
    const refused: Array<[Record<string, unknown>, string, string]> = [
      [{ frobnicate: 1 }, 'unknown_parameter', 'frobnicate'],
      [{ conversation: 'conv_1' }, 'unsupported_parameter', 'conversation'],
      [{ prompt: { id: 'pmpt_1' } }, 'unsupported_parameter', 'prompt'],
      [{ context_management: [] }, 'unsupported_parameter', 'context_management'],
      [{ background_options: {} }, 'unsupported_parameter', 'background_options'],
      [{ moderation: {} }, 'unsupported_parameter', 'moderation'],
      [{ prompt_cache_options: {} }, 'unsupported_parameter', 'prompt_cache_options'],
      [{ tools: [{ type: 'web_search' }] }, 'unsupported_tool', 'tools[0].type'],
      [{ tools: [{ type: 'computer_use_preview' }] }, 'unsupported_tool', 'tools[0].type'],
      [{ tool_choice: { type: 'web_search_preview' } }, 'invalid_request', 'tool_choice'],
      [
        { input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'x' }] }] },
        'unsupported_input',
        'input[0].content[0]',
      ],
      [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'unsupported_input', 'input[0]'],
      [{ text: { format: { type: 'json_schema', name: 'x' } } }, 'invalid_request', 'text.format.schema'],
      [{ text: { shape: 1 } }, 'unknown_parameter', 'text.shape'],
      [{ reasoning: { effort: 'huge' } }, 'invalid_request', 'reasoning.effort'],
      [{ include: ['everything'] }, 'invalid_request', 'include[0]'],
      [{ top_p: 2 }, 'invalid_request', 'top_p'],
      [{ stream_options: { include_usage: true } }, 'unknown_parameter', 'stream_options.include_usage'],
      [{ service_tier: 'gold' }, 'invalid_request', 'service_tier'],
    ];
    const before = h.fake.requests.length;
    for (const [fields, code, param] of refused) {
      const body = { model: 'fake-1', input: 'x', ...fields } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
      await assert.rejects(h.client.responses.create(body), (err: APIError) => {
        assert.equal(err.status, 400, param);
        assert.equal(err.code, code, param);
        assert.equal(err.param, param);
        assert.equal(err.type, 'invalid_request_error');
        return true;
      });
    }
    assert.equal(h.fake.requests.length, before, 'nothing reached the upstream');
  });
});
