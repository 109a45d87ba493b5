import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { type AiHarness, startAiRelay } from './helpers.ts';

describe('structured outputs and conversation state', { timeout: 30_000 }, () => {
  let h: AiHarness;
  before(async () => {
    h = await startAiRelay();
  });
  after(() => h.stop());

  it('responses.parse with a zod schema: json_schema goes upstream as response_format, the answer is parsed', async () => {
    const Event = z.object({ name: z.string(), date: z.string(), participants: z.array(z.string()) });
    const answer = { name: 'Science fair', date: 'Friday', participants: ['Alice', 'Bob'] };
    const json = JSON.stringify(answer);
    h.fake.script({ tokens: [json.slice(0, 10), json.slice(10)] });
    const response = await h.client.responses.parse({
      model: 'fake-1',
      input: 'Alice and Bob are going to a science fair on Friday.',
      text: { format: zodTextFormat(Event, 'event') },
    });
    assert.deepEqual(response.output_parsed, answer);
    assert.equal(response.text?.format?.type, 'json_schema');
    const sent = h.fake.requests.at(-1)?.body?.response_format as {
      type: string;
      json_schema: { name: string; strict: boolean; schema: { properties: object } };
    };
    assert.equal(sent.type, 'json_schema');
    assert.equal(sent.json_schema.name, 'event');
    assert.equal(sent.json_schema.strict, true);
    assert.deepEqual(Object.keys(sent.json_schema.schema.properties), ['name', 'date', 'participants']);
  });

  it('maps json_object and text formats, and echoes text with verbosity', async () => {
    h.fake.script({ tokens: ['{}'] }, { tokens: ['plain'] });
    const json = await h.client.responses.create({
      model: 'fake-1',
      input: 'json please',
      text: { format: { type: 'json_object' }, verbosity: 'low' },
    });
    assert.deepEqual(json.text, { format: { type: 'json_object' }, verbosity: 'low' });
    assert.deepEqual(h.fake.requests.at(-1)?.body?.response_format, { type: 'json_object' });
    assert.equal(h.fake.requests.at(-1)?.body?.verbosity, 'low');
    await h.client.responses.create({ model: 'fake-1', input: 'x', text: { format: { type: 'text' } } });
    assert.equal('response_format' in (h.fake.requests.at(-1)?.body ?? {}), false);
  });

  it('continues a conversation over three turns with previous_response_id, tool calls included', async () => {
    h.fake.script({ tokens: ['Hi Ann.'] });
    const one = await h.client.responses.create({ model: 'fake-1', instructions: 'Be terse.', input: 'I am Ann.' });
    h.fake.script({ toolCalls: [{ name: 'lookup', arguments: '{"who":"Ann"}', id: 'call_1' }] });
    const two = await h.client.responses.create({
      model: 'fake-1',
      previous_response_id: one.id,
      input: 'Look me up.',
      tools: [{ type: 'function', name: 'lookup', parameters: null, strict: false }],
    });
    assert.equal(two.previous_response_id, one.id);
    h.fake.script({ tokens: ['Found you.'] });
    const three = await h.client.responses.create({
      model: 'fake-1',
      previous_response_id: two.id,
      instructions: 'Be kind.',
      input: [{ type: 'function_call_output', call_id: 'call_1', output: 'Ann, 34' }],
    });
    assert.equal(three.output_text, 'Found you.');
    // The first turn's instructions are not carried over; the third turn's come first.
    assert.deepEqual(h.fake.requests.at(-1)?.body?.messages, [
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'I am Ann.' },
      { role: 'assistant', content: 'Hi Ann.' },
      { role: 'user', content: 'Look me up.' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"who":"Ann"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Ann, 34' },
    ]);

    const items = await h.client.responses.inputItems.list(three.id);
    assert.deepEqual(
      items.data.map((i) => i.type),
      ['function_call_output'],
    );
    const firstItems = await h.client.responses.inputItems.list(one.id);
    const message = firstItems.data[0];
    assert.ok(message?.type === 'message' && message.content[0]?.type === 'input_text');
    assert.equal(message.content[0].text, 'I am Ann.');
    assert.match(message.id, /^msg_/);
  });

  it('pages input items as OpenAI does (order, after, limit, has_more)', async () => {
    h.fake.script({ tokens: ['ok'] });
    const r = await h.client.responses.create({
      model: 'fake-1',
      input: ['a', 'b', 'c', 'd', 'e'].map((text) => ({ role: 'user' as const, content: text })),
    });
    const text = (i: { type: string; content?: unknown }) =>
      (i as { content: Array<{ text: string }> }).content.map((c) => c.text).join('');
    const page = await h.client.responses.inputItems.list(r.id, { limit: 2 });
    assert.deepEqual(page.data.map(text), ['e', 'd']);
    assert.equal(page.has_more, true);
    const all = [];
    for await (const item of h.client.responses.inputItems.list(r.id, { limit: 2, order: 'asc' })) all.push(text(item));
    assert.deepEqual(all, ['a', 'b', 'c', 'd', 'e']);
    await assert.rejects(h.client.responses.inputItems.list('resp_nope'), { status: 404 });
  });

  it('refuses an unknown previous_response_id and the Conversations API, with param', async () => {
    await assert.rejects(h.client.responses.create({ model: 'fake-1', previous_response_id: 'resp_nope', input: 'x' }), {
      status: 400,
      code: 'previous_response_not_found',
      param: 'previous_response_id',
    });
    await assert.rejects(h.client.responses.create({ model: 'fake-1', conversation: 'conv_1', input: 'x' }), {
      status: 400,
      code: 'unsupported_parameter',
      param: 'conversation',
    });
  });
});
