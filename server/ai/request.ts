import { RelayError } from '../errors.ts';
import { PRIORITIES, type Priority } from './queue.ts';
import { type InputItem, parseInput } from './request-input.ts';
import {
  type FunctionTool,
  parseInclude,
  parseReasoning,
  parseText,
  parseToolChoice,
  parseTools,
  type ReasoningConfig,
  type TextConfig,
  type ToolChoice,
  unknownParameter,
} from './request-tools.ts';

export type { InputItem };

/** What a create call asked for, validated. */
export interface CreateParams {
  model: string;
  input: InputItem[];
  instructions: string | null;
  max_output_tokens: number | null;
  temperature: number | null;
  top_p: number | null;
  top_logprobs: number | null;
  metadata: Record<string, string> | null;
  background: boolean;
  stream: boolean;
  store: boolean;
  user: string | null;
  safety_identifier: string | null;
  prompt_cache_key: string | null;
  tools: FunctionTool[];
  tool_choice: ToolChoice;
  parallel_tool_calls: boolean;
  max_tool_calls: number | null;
  text: TextConfig;
  reasoning: ReasoningConfig | null;
  previous_response_id: string | null;
  include: string[];
  /** Accepted and echoed; no effect on an upstream (see docs/ai.md). */
  service_tier: string | null;
  truncation: 'auto' | 'disabled';
  prompt_cache_retention: string | null;
  /** hookrelay extension: where the completion webhook goes. */
  webhook_url: string | null;
  /** hookrelay extension: queue priority on the upstream. */
  priority: Priority;
}

/** Fields the relay reads; anything else is `unknown_parameter` (or `unsupported_parameter` below). */
const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'max_output_tokens',
  'temperature',
  'top_p',
  'top_logprobs',
  'metadata',
  'background',
  'stream',
  'stream_options',
  'store',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'service_tier',
  'truncation',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_tool_calls',
  'text',
  'reasoning',
  'previous_response_id',
  'include',
  'webhook_url',
  'priority',
]);

/** OpenAI features that a chat-completions upstream cannot give, refused by name (docs/ai.md). */
const UNSUPPORTED: Record<string, string> = {
  conversation: 'hookrelay does not offer the Conversations API; chain responses with "previous_response_id" instead.',
  prompt: 'Stored prompt templates live on OpenAI\'s servers; send "instructions" and "input" instead.',
  background_options: 'hookrelay has one completion window per response (ai.timeoutSeconds).',
  context_management: 'Server-side context compaction is not offered.',
  prompt_cache_options: 'Prompt cache options are not offered; "prompt_cache_key" is passed upstream.',
  moderation: 'Moderation settings are not offered.',
  access_programs: 'Access programs are an OpenAI account feature.',
  image: 'Image generation settings are not offered.',
};

const SERVICE_TIERS = new Set(['auto', 'default', 'flex', 'scale', 'priority']);

const invalid = (param: string, message: string) => new RelayError('invalid_request', message, { param });

/** Checks a create body field by field; anything unknown is refused rather than silently dropped. */
export function parseCreateParams(body: unknown, newId: (prefix: string) => string): CreateParams {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'The body must be a JSON object.');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (UNSUPPORTED[key] !== undefined && b[key] !== null) {
      throw new RelayError('unsupported_parameter', `"${key}" is not supported: ${UNSUPPORTED[key]}`, { param: key });
    }
    if (!KNOWN.has(key) && UNSUPPORTED[key] === undefined) throw unknownParameter(key);
  }
  if (typeof b.model !== 'string' || b.model.length === 0 || b.model.length > 200)
    throw invalid('model', '"model" must be a non-empty string.');
  const background = flag(b, 'background') ?? false;
  const store = flag(b, 'store') ?? true;
  // OpenAI's rule: a background response is retrieved later, so it must be stored.
  if (background && !store) throw invalid('store', 'Background mode requires "store": true (or "store" left out).');
  const previous = optionalString(b, 'previous_response_id', 200);
  const tools = parseTools(b.tools);
  parseStreamOptions(b.stream_options);
  return {
    model: b.model,
    input: parseInput(b.input, newId, previous === null),
    instructions: optionalString(b, 'instructions', Number.POSITIVE_INFINITY),
    max_output_tokens: optionalInteger(b, 'max_output_tokens', 1, 1_000_000),
    temperature: optionalNumber(b, 'temperature', 0, 2),
    top_p: optionalNumber(b, 'top_p', 0, 1),
    top_logprobs: optionalInteger(b, 'top_logprobs', 0, 20),
    metadata: parseMetadata(b.metadata),
    background,
    stream: flag(b, 'stream') ?? false,
    store,
    user: optionalString(b, 'user', 512),
    safety_identifier: optionalString(b, 'safety_identifier', 512),
    prompt_cache_key: optionalString(b, 'prompt_cache_key', 512),
    tools,
    tool_choice: parseToolChoice(b.tool_choice, tools),
    parallel_tool_calls: flag(b, 'parallel_tool_calls') ?? true,
    max_tool_calls: optionalInteger(b, 'max_tool_calls', 1, 1000),
    text: parseText(b.text),
    reasoning: parseReasoning(b.reasoning),
    previous_response_id: previous,
    include: parseInclude(b.include),
    service_tier: oneOf(b, 'service_tier', SERVICE_TIERS),
    truncation: (oneOf(b, 'truncation', new Set(['auto', 'disabled'])) ?? 'disabled') as 'auto' | 'disabled',
    prompt_cache_retention: oneOf(b, 'prompt_cache_retention', new Set(['in_memory', '24h'])),
    webhook_url: parseWebhookUrl(b.webhook_url),
    priority: parsePriority(b.priority),
  };
}

function flag(b: Record<string, unknown>, key: string): boolean | null {
  const value = b[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw invalid(key, `"${key}" must be a boolean.`);
  return value;
}

function optionalString(b: Record<string, unknown>, key: string, max: number): string | null {
  const value = b[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > max) {
    throw invalid(key, `"${key}" must be a string${Number.isFinite(max) ? ` of at most ${max} characters` : ''}.`);
  }
  return value;
}

function oneOf(b: Record<string, unknown>, key: string, values: Set<string>): string | null {
  const value = b[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !values.has(value)) throw invalid(key, `"${key}" must be one of ${[...values].join(', ')}.`);
  return value;
}

function optionalNumber(b: Record<string, unknown>, key: string, min: number, max: number): number | null {
  const value = b[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalid(key, `"${key}" must be a number from ${min} to ${max}.`);
  }
  return value;
}

function optionalInteger(b: Record<string, unknown>, key: string, min: number, max: number): number | null {
  const value = optionalNumber(b, key, min, max);
  if (value !== null && !Number.isInteger(value)) throw invalid(key, `"${key}" must be an integer.`);
  return value;
}

/** `stream_options`: only `include_obfuscation`, which has nothing to do here (no obfuscation padding is sent). */
function parseStreamOptions(value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('stream_options', '"stream_options" must be an object.');
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'include_obfuscation') throw unknownParameter(`stream_options.${key}`);
    if (typeof v !== 'boolean') throw invalid('stream_options.include_obfuscation', 'include_obfuscation must be a boolean.');
  }
}

function parseMetadata(metadata: unknown): Record<string, string> | null {
  if (metadata === undefined || metadata === null) return null;
  if (typeof metadata !== 'object' || Array.isArray(metadata))
    throw invalid('metadata', '"metadata" must be an object of strings.');
  const entries = Object.entries(metadata);
  if (entries.length > 16) throw invalid('metadata', '"metadata" may hold at most 16 keys.');
  for (const [key, value] of entries) {
    if (key.length > 64 || typeof value !== 'string' || value.length > 512) {
      throw invalid('metadata', '"metadata" keys are at most 64 characters and values strings of at most 512.');
    }
  }
  return metadata as Record<string, string>;
}

function parseWebhookUrl(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw invalid('webhook_url', '"webhook_url" must be an http or https URL.');
  }
  return value;
}

function parsePriority(value: unknown): Priority {
  if (value === undefined || value === null) return 'normal';
  if (!PRIORITIES.includes(value as Priority)) throw invalid('priority', '"priority" must be high, normal or low.');
  return value as Priority;
}
