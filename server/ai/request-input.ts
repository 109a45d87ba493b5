import { RelayError } from '../errors.ts';

/**
 * One `input` item as the relay keeps it: OpenAI's item shapes (what `GET /v1/responses/:id/input_items`
 * lists), each with an id. Text content only; tool calls and their outputs for function tools.
 */
export type InputItem =
  | {
      id: string;
      type: 'message';
      role: 'user' | 'system' | 'developer';
      status: 'completed';
      content: Array<{ type: 'input_text'; text: string }>;
    }
  | {
      id: string;
      type: 'message';
      role: 'assistant';
      status: 'completed';
      content: Array<{ type: 'output_text'; text: string; annotations: []; logprobs: [] }>;
    }
  | { id: string; type: 'function_call'; call_id: string; name: string; arguments: string; status: 'completed' }
  | { id: string; type: 'function_call_output'; call_id: string; output: string; status: 'completed' }
  | {
      id: string;
      type: 'reasoning';
      summary: Array<{ type: 'summary_text'; text: string }>;
      content?: Array<{ type: 'reasoning_text'; text: string }>;
    };

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const MAX_ITEMS = 1000;

const unsupported = (param: string, message: string) => new RelayError('unsupported_input', message, { param });

/** `input` as a list of items (a string is one user message); `newId` names items that come without an id. */
export function parseInput(input: unknown, newId: (prefix: string) => string, required: boolean): InputItem[] {
  if (input === undefined || input === null) {
    if (!required) return [];
    throw new RelayError('invalid_request', '"input" is required (a string or a list of items).', { param: 'input' });
  }
  if (typeof input === 'string') return [userText(newId('msg'), input)];
  if (!Array.isArray(input)) {
    throw new RelayError('invalid_request', '"input" must be a string or a list of items.', { param: 'input' });
  }
  if (input.length === 0 && required) {
    throw new RelayError('invalid_request', '"input" must not be an empty list.', { param: 'input' });
  }
  if (input.length > MAX_ITEMS) {
    throw new RelayError('invalid_request', `"input" may hold at most ${MAX_ITEMS} items.`, { param: 'input' });
  }
  return input.map((item, i) => parseItem(item, `input[${i}]`, newId));
}

function userText(id: string, text: string): InputItem {
  return { id, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text }] };
}

function parseItem(item: unknown, at: string, newId: (prefix: string) => string): InputItem {
  if (!item || typeof item !== 'object' || Array.isArray(item)) throw unsupported(at, `${at} must be an object.`);
  const m = item as Record<string, unknown>;
  const id = typeof m.id === 'string' && m.id.length > 0 && m.id.length <= 200 ? m.id : undefined;
  const type = m.type ?? 'message';
  switch (type) {
    case 'message':
      return parseMessage(m, at, id ?? newId('msg'));
    case 'function_call':
      return {
        id: id ?? newId('fc'),
        type: 'function_call',
        call_id: requiredString(m, 'call_id', at),
        name: requiredString(m, 'name', at),
        arguments: requiredString(m, 'arguments', at, true),
        status: 'completed',
      };
    case 'function_call_output':
      return {
        id: id ?? newId('fco'),
        type: 'function_call_output',
        call_id: requiredString(m, 'call_id', at),
        output: outputText(m.output, `${at}.output`),
        status: 'completed',
      };
    case 'reasoning':
      // Sent back by clients that keep the conversation themselves; kept for the listing, not sent upstream.
      return {
        id: id ?? newId('rs'),
        type: 'reasoning',
        summary: Array.isArray(m.summary) ? (m.summary as Array<{ type: 'summary_text'; text: string }>) : [],
        ...(Array.isArray(m.content) && { content: m.content as Array<{ type: 'reasoning_text'; text: string }> }),
      };
    default:
      throw unsupported(
        at,
        `${at}: items of type "${String(type)}" are not supported (message, function_call, function_call_output and reasoning are).`,
      );
  }
}

function parseMessage(m: Record<string, unknown>, at: string, id: string): InputItem {
  if (!ROLES.has(String(m.role))) {
    throw unsupported(`${at}.role`, `${at} must be a message with role user, assistant, system or developer.`);
  }
  const text = messageText(m.content, `${at}.content`);
  if (m.role === 'assistant') {
    return {
      id,
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
    };
  }
  const role = m.role as 'user' | 'system' | 'developer';
  return { id, type: 'message', role, status: 'completed', content: [{ type: 'input_text', text }] };
}

/** Text content only: plain strings or input_text/output_text parts (images, files and audio are refused). */
function messageText(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw unsupported(at, `${at} must be a string or a list of text parts.`);
  return content
    .map((part, k) => {
      const p = part as { type?: unknown; text?: unknown };
      if ((p?.type === 'input_text' || p?.type === 'output_text') && typeof p.text === 'string') return p.text;
      throw unsupported(
        `${at}[${k}]`,
        `${at}[${k}]: only text parts (input_text, output_text) are supported, not "${String(p?.type)}".`,
      );
    })
    .join('');
}

function outputText(output: unknown, at: string): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return messageText(output, at);
  throw unsupported(at, `${at} must be a string or a list of input_text parts.`);
}

function requiredString(m: Record<string, unknown>, key: string, at: string, allowEmpty = false): string {
  const value = m[key];
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new RelayError('invalid_request', `${at}.${key} must be a${allowEmpty ? '' : ' non-empty'} string.`, {
      param: `${at}.${key}`,
    });
  }
  return value;
}
