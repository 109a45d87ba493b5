import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { waitFor } from '../helpers/wait.ts';
import { type AiHarness, startAiRelay } from './helpers.ts';

type Event = OpenAI.Responses.ResponseStreamEvent;
type Item = OpenAI.Responses.ResponseOutputItem;

/** `{key: true}` for every required key of T: the compiler refuses a table that misses one or adds one. */
type RequiredKeys<T> = { [K in keyof T as object extends Pick<T, K> ? never : K]-?: true };
type EventKeys<T extends Event['type']> = RequiredKeys<Extract<Event, { type: T }>>;

const base = { type: true, sequence_number: true } as const;
const withResponse = { ...base, response: true } as const;
const inItem = { ...base, item_id: true, output_index: true } as const;

/** The required fields of every event the relay emits, per the SDK's own types. */
const EVENTS: { [T in Event['type']]?: EventKeys<T> } = {
  'response.created': withResponse,
  'response.queued': withResponse,
  'response.in_progress': withResponse,
  'response.completed': withResponse,
  'response.incomplete': withResponse,
  'response.failed': withResponse,
  'response.output_item.added': { ...base, item: true, output_index: true },
  'response.output_item.done': { ...base, item: true, output_index: true },
  'response.content_part.added': { ...inItem, content_index: true, part: true },
  'response.content_part.done': { ...inItem, content_index: true, part: true },
  'response.output_text.delta': { ...inItem, content_index: true, delta: true, logprobs: true },
  'response.output_text.done': { ...inItem, content_index: true, text: true, logprobs: true },
  'response.reasoning_text.delta': { ...inItem, content_index: true, delta: true },
  'response.reasoning_text.done': { ...inItem, content_index: true, text: true },
  'response.function_call_arguments.delta': { ...inItem, delta: true },
  'response.function_call_arguments.done': { ...inItem, arguments: true },
};
// `response.cancelled` is hookrelay's terminal event for a cancelled background response (OpenAI's
// stream has no event for it); it carries the response like the other terminal events.
const CANCELLED = withResponse;

/** output_text is computed by the SDK on the client, so the server leaves it out. */
const RESPONSE: Omit<RequiredKeys<OpenAI.Responses.Response>, 'output_text'> = {
  id: true,
  access_programs: true,
  created_at: true,
  error: true,
  incomplete_details: true,
  instructions: true,
  metadata: true,
  model: true,
  object: true,
  output: true,
  parallel_tool_calls: true,
  temperature: true,
  tool_choice: true,
  tools: true,
  top_p: true,
};

const ITEMS: { [T in Item['type']]?: RequiredKeys<Extract<Item, { type: T }>> } = {
  message: { id: true, type: true, role: true, status: true, content: true },
  function_call: { type: true, arguments: true, call_id: true, name: true },
  reasoning: { id: true, type: true, summary: true },
};

function assertKeys(value: unknown, keys: object, label: string): void {
  assert.ok(value && typeof value === 'object', `${label} is an object`);
  for (const key of Object.keys(keys)) assert.ok(key in value, `${label} has "${key}"`);
}

function checkResponse(response: unknown, label: string): void {
  assertKeys(response, RESPONSE, label);
  for (const [i, item] of (response as { output: Item[] }).output.entries()) checkItem(item, `${label}.output[${i}]`);
}

function checkItem(item: Item, label: string): void {
  const keys = ITEMS[item.type];
  assert.ok(keys, `${label}: the relay emits no "${item.type}" items`);
  assertKeys(item, keys, label);
}

function checkEvent(event: Event): void {
  const label = `${event.type} #${event.sequence_number}`;
  const keys = event.type === ('response.cancelled' as Event['type']) ? CANCELLED : EVENTS[event.type];
  assert.ok(keys, `${label} is an event type the SDK defines and the table lists`);
  assertKeys(event, keys, label);
  if ('response' in event) checkResponse(event.response, `${label}.response`);
  if ('item' in event) checkItem(event.item, `${label}.item`);
}

describe("every object and event the relay produces has the SDK types' required fields", { timeout: 30_000 }, () => {
  let h: AiHarness;
  before(async () => {
    h = await startAiRelay();
  });
  after(() => h.stop());

  const tool: OpenAI.Responses.FunctionTool = { type: 'function', name: 'f', parameters: null, strict: false };

  it('text, reasoning and tool-call streams, and the retrieved objects', async () => {
    h.fake.script(
      { tokens: ['a', 'b'] },
      { reasoning: ['r'], tokens: ['c'], toolCalls: [{ name: 'f', arguments: '{}' }] },
      { tokens: ['d', 'e'], finishReason: 'length' },
    );
    let seen = 0;
    for (const body of [{}, { tools: [tool] }, { max_output_tokens: 2 }]) {
      const stream = await h.client.responses.create({ model: 'fake-1', input: 'x', stream: true, background: true, ...body });
      let id = '';
      for await (const event of stream) {
        checkEvent(event);
        seen++;
        if (event.type === 'response.created') id = event.response.id;
      }
      checkResponse(await h.client.responses.retrieve(id), 'retrieved');
    }
    assert.ok(seen > 30);
  });

  it('failed and cancelled responses', async () => {
    h.fake.script({ failStatus: 400 }, { tokenCount: 5, pauseAfter: 1 });
    const failed = await h.client.responses.create({ model: 'fake-1', input: 'x', stream: true, background: true });
    const types: string[] = [];
    for await (const event of failed) {
      checkEvent(event);
      types.push(event.type);
    }
    assert.equal(types.at(-1), 'response.failed');
    const running = await h.client.responses.create({ model: 'fake-1', input: 'x', background: true });
    await waitFor('the upstream call to pause', () => h.fake.requests.at(-1)?.paused);
    await h.client.responses.cancel(running.id);
    const replay = await h.client.responses.retrieve(running.id, { stream: true });
    const cancelledTypes: string[] = [];
    for await (const event of replay) {
      checkEvent(event);
      cancelledTypes.push(event.type);
    }
    assert.equal(cancelledTypes.at(-1), 'response.cancelled');
    checkResponse(await h.client.responses.retrieve(running.id), 'cancelled');
  });
});
