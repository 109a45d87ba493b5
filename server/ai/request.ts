import { HttpError } from '../errors.ts';
import { PRIORITIES, type Priority } from './queue.ts';

/** What a create call asked for, validated. */
export interface CreateParams {
  model: string;
  input: string | InputMessage[];
  instructions: string | null;
  max_output_tokens: number | null;
  temperature: number | null;
  metadata: Record<string, string> | null;
  background: boolean;
  stream: boolean;
  /** hookrelay extension: where the completion webhook goes. */
  webhook_url: string | null;
  /** hookrelay extension: queue priority on the upstream. */
  priority: Priority;
}

export interface InputMessage {
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string;
}

export interface ChatMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

const KNOWN = new Set([
  'model',
  'input',
  'instructions',
  'max_output_tokens',
  'temperature',
  'metadata',
  'background',
  'stream',
  'store',
  'webhook_url',
  'priority',
]);

const invalid = (param: string, message: string) => new HttpError('invalid_request', message, 400, { param });

/** Checks a create body field by field; anything unknown is refused rather than silently dropped. */
export function parseCreateParams(body: unknown): CreateParams {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('body', 'The body must be a JSON object.');
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!KNOWN.has(key)) {
      throw new HttpError('unknown_parameter', `"${key}" is not a parameter hookrelay supports on /v1/responses.`, 400, {
        param: key,
      });
    }
  }
  if (typeof b.model !== 'string' || b.model.length === 0 || b.model.length > 200)
    throw invalid('model', '"model" must be a non-empty string.');
  if (b.store === false) throw invalid('store', 'hookrelay always stores responses; omit "store" or set it to true.');
  return {
    model: b.model,
    input: parseInput(b.input),
    instructions: optional(b, 'instructions', 'string') as string | null,
    max_output_tokens: optionalInteger(b, 'max_output_tokens', 1, 1_000_000),
    temperature: optionalNumber(b, 'temperature', 0, 2),
    metadata: parseMetadata(b.metadata),
    background: (optional(b, 'background', 'boolean') as boolean | null) ?? false,
    stream: (optional(b, 'stream', 'boolean') as boolean | null) ?? false,
    webhook_url: parseWebhookUrl(b.webhook_url),
    priority: parsePriority(b.priority),
  };
}

function optional(b: Record<string, unknown>, key: string, type: 'string' | 'boolean'): unknown {
  const value = b[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== type) throw invalid(key, `"${key}" must be a ${type}.`);
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

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

function parseInput(input: unknown): string | InputMessage[] {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input) || input.length === 0) {
    throw invalid('input', '"input" must be a string or a non-empty list of messages.');
  }
  if (input.length > 1000) throw invalid('input', '"input" may hold at most 1000 messages.');
  return input.map((item, i) => {
    const m = item as { type?: unknown; role?: unknown; content?: unknown };
    if (!m || typeof m !== 'object' || (m.type !== undefined && m.type !== 'message') || !ROLES.has(String(m.role))) {
      throw new HttpError(
        'unsupported_input',
        `input[${i}] must be a message with role user, assistant, system or developer.`,
        400,
        { param: `input[${i}]` },
      );
    }
    return { role: m.role as InputMessage['role'], content: messageText(m.content, i) };
  });
}

/** Text content only: plain strings or input_text/output_text parts (images and files are refused). */
function messageText(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const texts = content.map((part) => {
      const p = part as { type?: unknown; text?: unknown };
      if ((p?.type === 'input_text' || p?.type === 'output_text') && typeof p.text === 'string') return p.text;
      throw new HttpError(
        'unsupported_input',
        `input[${i}].content: only text parts (input_text, output_text) are supported.`,
        400,
        { param: `input[${i}].content` },
      );
    });
    return texts.join('');
  }
  throw new HttpError('unsupported_input', `input[${i}].content must be a string or a list of text parts.`, 400, {
    param: `input[${i}].content`,
  });
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

/** The chat messages sent upstream: instructions first as a system message. */
export function toChatMessages(params: Pick<CreateParams, 'input' | 'instructions'>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (params.instructions) messages.push({ role: 'system', content: params.instructions });
  if (typeof params.input === 'string') messages.push({ role: 'user', content: params.input });
  else for (const m of params.input) messages.push({ role: m.role === 'developer' ? 'system' : m.role, content: m.content });
  return messages;
}
