import type {
  ResponseFunctionToolCall,
  ResponseOutputItem,
  ResponseOutputMessage,
  ResponseOutputText,
  ResponseReasoningItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import type { LiveResponse } from './live.ts';
import type { StreamEvent } from './stream-events.ts';

/**
 * The output items of a running response and the stream events that build them, in OpenAI's order:
 * each item is added, filled with deltas and done before the next one starts. Events are typed with
 * the openai SDK's own event types, so the compiler checks every field a client reads.
 */

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';
export type Logprob = ResponseOutputText.Logprob;

export type ItemState =
  | { kind: 'message'; id: string; text: string; logprobs: Logprob[]; done: boolean }
  | { kind: 'reasoning'; id: string; text: string; done: boolean }
  | { kind: 'function_call'; id: string; call_id: string; name: string; arguments: string; index: number; done: boolean };

type Event<T extends ResponseStreamEvent['type']> = Omit<Extract<ResponseStreamEvent, { type: T }>, 'sequence_number'>;

export interface OutputState {
  live: LiveResponse;
  newItemId(prefix: string): string;
  items: ItemState[];
  /** Set by cancel: no event may follow it. */
  readonly stopped: boolean;
}

function emit<T extends ResponseStreamEvent['type']>(out: OutputState, event: Event<T> & { type: T }): void {
  out.live.emit(event as unknown as StreamEvent);
}

/** The item being streamed (the last one, unless it is done). */
function openItem(out: OutputState): ItemState | undefined {
  const last = out.items.at(-1);
  return last && !last.done ? last : undefined;
}

function startItem(out: OutputState, state: ItemState): ItemState {
  closeOpen(out);
  out.items.push(state);
  const output_index = out.items.length - 1;
  emit(out, { type: 'response.output_item.added', output_index, item: itemOf(state, 'in_progress', true) });
  if (state.kind === 'message') {
    const part = { type: 'output_text' as const, text: '', annotations: [], logprobs: [] };
    emit(out, { type: 'response.content_part.added', item_id: state.id, output_index, content_index: 0, part });
  } else if (state.kind === 'reasoning') {
    const part = { type: 'reasoning_text' as const, text: '' };
    emit(out, { type: 'response.content_part.added', item_id: state.id, output_index, content_index: 0, part });
  }
  return state;
}

export function appendText(out: OutputState, delta: string, logprobs: Logprob[] = []): void {
  let item = openItem(out);
  if (item?.kind !== 'message')
    item = startItem(out, { kind: 'message', id: out.newItemId('msg'), text: '', logprobs: [], done: false });
  if (item.kind !== 'message') return;
  item.text += delta;
  const output_index = out.items.length - 1;
  if (output_index === 0 && logprobs.length === 0) return void out.live.emitDelta(item.id, delta);
  item.logprobs.push(...logprobs);
  const shortLogprobs = logprobs.map(({ token, logprob, top_logprobs }) => ({
    token,
    logprob,
    top_logprobs: top_logprobs.map((t) => ({ token: t.token, logprob: t.logprob })),
  }));
  emit(out, {
    type: 'response.output_text.delta',
    item_id: item.id,
    output_index,
    content_index: 0,
    delta,
    logprobs: shortLogprobs,
  });
}

export function appendReasoning(out: OutputState, delta: string): void {
  let item = openItem(out);
  if (item?.kind !== 'reasoning') item = startItem(out, { kind: 'reasoning', id: out.newItemId('rs'), text: '', done: false });
  if (item.kind !== 'reasoning') return;
  item.text += delta;
  emit(out, {
    type: 'response.reasoning_text.delta',
    item_id: item.id,
    output_index: out.items.length - 1,
    content_index: 0,
    delta,
  });
}

/** A piece of an upstream tool call (`index` is the upstream's tool call index). */
export function appendToolCall(
  out: OutputState,
  call: { index: number; id?: string; name?: string; arguments?: string },
  maxCalls: number | null,
): void {
  let item = out.items.find((i) => i.kind === 'function_call' && i.index === call.index);
  if (!item) {
    const calls = out.items.filter((i) => i.kind === 'function_call').length;
    if (maxCalls !== null && calls >= maxCalls) return; // beyond max_tool_calls: dropped
    item = startItem(out, {
      kind: 'function_call',
      id: out.newItemId('fc'),
      call_id: call.id || out.newItemId('call'),
      name: call.name ?? '',
      arguments: '',
      index: call.index,
      done: false,
    });
  }
  if (item.kind !== 'function_call' || !call.arguments) return;
  item.arguments += call.arguments;
  // A piece of a call already closed (a server interleaving calls) joins its arguments without events.
  if (item.done) return;
  emit(out, {
    type: 'response.function_call_arguments.delta',
    item_id: item.id,
    output_index: out.items.indexOf(item),
    delta: call.arguments,
  });
}

/** The closing events of the item being streamed. */
function closeOpen(out: OutputState, status: ItemStatus = 'completed'): void {
  const item = openItem(out);
  if (!item) return;
  item.done = true;
  const output_index = out.items.length - 1;
  const item_id = item.id;
  if (item.kind === 'message') {
    const logprobs = item.logprobs;
    emit(out, { type: 'response.output_text.done', item_id, output_index, content_index: 0, text: item.text, logprobs });
    const part = { type: 'output_text' as const, text: item.text, annotations: [], logprobs };
    emit(out, { type: 'response.content_part.done', item_id, output_index, content_index: 0, part });
  } else if (item.kind === 'reasoning') {
    emit(out, { type: 'response.reasoning_text.done', item_id, output_index, content_index: 0, text: item.text });
    const part = { type: 'reasoning_text' as const, text: item.text };
    emit(out, { type: 'response.content_part.done', item_id, output_index, content_index: 0, part });
  } else {
    emit(out, { type: 'response.function_call_arguments.done', item_id, output_index, arguments: item.arguments });
  }
  emit(out, { type: 'response.output_item.done', output_index, item: itemOf(item, status) });
}

/** The closing events before the terminal response event; a response with no output gets an empty message. */
export function finishOutput(out: OutputState, status: 'completed' | 'incomplete'): void {
  if (out.items.length === 0) appendText(out, '');
  closeOpen(out, status === 'completed' ? 'completed' : 'incomplete');
}

/** The output as a reader sees it; items still streaming carry `status`. */
export function outputOf(items: readonly ItemState[], status: ItemStatus): ResponseOutputItem[] {
  return items.map((i) => itemOf(i, i.done ? (status === 'in_progress' ? 'completed' : status) : status));
}

/** One item in the SDK's shape; `empty`: as announced by output_item.added (no content yet). */
export function itemOf(state: ItemState, status: ItemStatus, empty = false): ResponseOutputItem {
  if (state.kind === 'message') {
    const text: ResponseOutputText = { type: 'output_text', text: state.text, annotations: [], logprobs: state.logprobs };
    const message: ResponseOutputMessage = {
      id: state.id,
      type: 'message',
      role: 'assistant',
      status,
      content: empty ? [] : [text],
    };
    return message;
  }
  if (state.kind === 'reasoning') {
    const reasoning: ResponseReasoningItem = {
      id: state.id,
      type: 'reasoning',
      summary: [],
      content: empty ? [] : [{ type: 'reasoning_text', text: state.text }],
      status,
    };
    return reasoning;
  }
  const call: ResponseFunctionToolCall = {
    id: state.id,
    type: 'function_call',
    status,
    arguments: state.arguments,
    call_id: state.call_id,
    name: state.name,
  };
  return call;
}

/** The items a stored stream built (after a restart, or on another instance), and its terminal response. */
export function itemsFromEvents(events: Iterable<{ type: string } & Record<string, unknown>>): ItemState[] {
  const items: ItemState[] = [];
  for (const e of events) {
    const at = items[e.output_index as number];
    if (e.type === 'response.output_item.added') {
      const item = e.item as { id: string; type: string; call_id?: string; name?: string };
      if (item.type === 'message') items.push({ kind: 'message', id: item.id, text: '', logprobs: [], done: false });
      else if (item.type === 'reasoning') items.push({ kind: 'reasoning', id: item.id, text: '', done: false });
      else
        items.push({
          kind: 'function_call',
          id: item.id,
          call_id: item.call_id ?? '',
          name: item.name ?? '',
          arguments: '',
          index: items.length,
          done: false,
        });
    } else if (e.type === 'response.output_text.delta' && at?.kind === 'message') at.text += e.delta as string;
    else if (e.type === 'response.reasoning_text.delta' && at?.kind === 'reasoning') at.text += e.delta as string;
    else if (e.type === 'response.function_call_arguments.delta' && at?.kind === 'function_call')
      at.arguments += e.delta as string;
    else if (e.type === 'response.output_item.done' && at) at.done = true;
  }
  return items;
}
