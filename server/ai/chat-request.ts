import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { ResponseOutputItem } from 'openai/resources/responses/responses';
import type { CreateParams } from './request.ts';
import type { InputItem } from './request-input.ts';
import type { TextFormat, ToolChoice } from './request-tools.ts';

// The Responses request as a chat completions request: every OpenAI-compatible server has that API.

export type ChatMessage = ChatCompletionMessageParam;

/** What goes upstream besides model, messages and streaming (stored with the response for a re-run). */
export interface ChatOptions {
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  user?: string;
  safety_identifier?: string;
  prompt_cache_key?: string;
  logprobs?: boolean;
  top_logprobs?: number;
  tools?: ChatCompletionTool[];
  tool_choice?: ChatCompletionToolChoiceOption;
  parallel_tool_calls?: boolean;
  response_format?: Record<string, unknown>;
  reasoning_effort?: string;
  verbosity?: string;
}

/** Only what the caller set is sent: many servers refuse fields they do not know. */
export function chatOptions(p: CreateParams): ChatOptions {
  const o: ChatOptions = {};
  if (p.max_output_tokens !== null) o.max_tokens = p.max_output_tokens;
  if (p.temperature !== null) o.temperature = p.temperature;
  if (p.top_p !== null) o.top_p = p.top_p;
  if (p.user !== null) o.user = p.user;
  if (p.safety_identifier !== null) o.safety_identifier = p.safety_identifier;
  if (p.prompt_cache_key !== null) o.prompt_cache_key = p.prompt_cache_key;
  if (p.top_logprobs !== null || p.include.includes('message.output_text.logprobs')) {
    o.logprobs = true;
    if (p.top_logprobs !== null) o.top_logprobs = p.top_logprobs;
  }
  // An empty tool list is the same as none; OpenAI's chat API refuses `tools: []`.
  if (p.tools.length > 0) {
    o.tools = p.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description !== null && { description: t.description }),
        ...(t.parameters !== null && { parameters: t.parameters }),
        ...(t.strict !== null && { strict: t.strict }),
      },
    }));
    if (p.tool_choice !== 'auto') o.tool_choice = chatToolChoice(p.tool_choice);
    if (!p.parallel_tool_calls) o.parallel_tool_calls = false;
  }
  const format = responseFormat(p.text.format);
  if (format) o.response_format = format;
  if (p.text.verbosity) o.verbosity = p.text.verbosity;
  if (p.reasoning?.effort) o.reasoning_effort = p.reasoning.effort;
  return o;
}

function chatToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function') return { type: 'function', function: { name: choice.name } };
  return {
    type: 'allowed_tools',
    allowed_tools: { mode: choice.mode, tools: choice.tools.map((t) => ({ type: 'function', function: { name: t.name } })) },
  };
}

function responseFormat(format: TextFormat): Record<string, unknown> | undefined {
  if (format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const { name, schema, strict, description } = format;
  return {
    type: 'json_schema',
    json_schema: { name, schema, ...(strict !== null && { strict }), ...(description !== undefined && { description }) },
  };
}

/** The messages of one turn's input items; consecutive function calls become one assistant message. */
export function inputMessages(items: readonly InputItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const item of items) {
    if (item.type === 'message') {
      const text = item.content.map((c) => c.text).join('');
      const role = item.role === 'developer' ? 'system' : item.role;
      out.push({ role, content: text });
    } else if (item.type === 'function_call') {
      addToolCall(out, item.call_id, item.name, item.arguments);
    } else if (item.type === 'function_call_output') {
      out.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
    }
    // Reasoning items are not sent back: chat-completions servers take no reasoning input.
  }
  return out;
}

/** A response's output as the assistant's turn, for the next response that continues from it. */
export function outputMessages(output: readonly ResponseOutputItem[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const item of output) {
    if (item.type === 'message') {
      const text = item.content.map((c) => (c.type === 'output_text' ? c.text : c.refusal)).join('');
      const last = out.at(-1);
      if (last?.role === 'assistant' && !last.content) last.content = text;
      else out.push({ role: 'assistant', content: text });
    } else if (item.type === 'function_call') {
      addToolCall(out, item.call_id, item.name, item.arguments);
    }
  }
  return out;
}

function addToolCall(out: ChatMessage[], callId: string, name: string, args: string): void {
  const call = { id: callId, type: 'function' as const, function: { name, arguments: args } };
  const last = out.at(-1);
  if (last?.role === 'assistant') {
    last.tool_calls = [...(last.tool_calls ?? []), call];
    return;
  }
  out.push({ role: 'assistant', content: null, tool_calls: [call] });
}

/** The upstream's messages: instructions first as a system message (never carried to the next turn). */
export function withInstructions(instructions: string | null, conversation: ChatMessage[]): ChatMessage[] {
  return instructions ? [{ role: 'system', content: instructions }, ...conversation] : conversation;
}

/** The conversation part of stored messages (without the instructions' system message). */
export function conversationOf(messages: readonly ChatMessage[], instructions: unknown): ChatMessage[] {
  return messages.slice(instructions ? 1 : 0);
}
