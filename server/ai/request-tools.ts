import { RelayError } from '../errors.ts';

/** A function tool as the Response echoes it. */
export interface FunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: Array<{ type: 'function'; name: string }> };

export type TextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict: boolean | null; description?: string };

export interface TextConfig {
  format: TextFormat;
  verbosity?: 'low' | 'medium' | 'high';
}

export interface ReasoningConfig {
  effort: string | null;
  summary: string | null;
}

const invalid = (param: string, message: string) => new RelayError('invalid_request', message, { param });
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TOOLS = 128;

/** `tools`: function tools only; OpenAI's built-in tools need OpenAI's servers and are refused by name. */
export function parseTools(value: unknown): FunctionTool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('tools', '"tools" must be a list of tools.');
  if (value.length > MAX_TOOLS) throw invalid('tools', `"tools" may hold at most ${MAX_TOOLS} tools.`);
  const names = new Set<string>();
  return value.map((tool, i) => {
    const at = `tools[${i}]`;
    if (!isObject(tool)) throw invalid(at, `${at} must be an object.`);
    if (tool.type !== 'function') {
      throw new RelayError(
        'unsupported_tool',
        `${at}: the tool "${String(tool.type)}" is one OpenAI runs on its own servers; hookrelay's upstreams are chat-completions backends, so only "function" tools are supported.`,
        { param: `${at}.type` },
      );
    }
    if (typeof tool.name !== 'string' || !NAME.test(tool.name)) {
      throw invalid(`${at}.name`, `${at}.name must be 1 to 64 letters, digits, "_" or "-".`);
    }
    if (names.has(tool.name)) throw invalid(`${at}.name`, `${at}.name "${tool.name}" is used by two tools.`);
    names.add(tool.name);
    if (tool.parameters !== undefined && tool.parameters !== null && !isObject(tool.parameters)) {
      throw invalid(`${at}.parameters`, `${at}.parameters must be a JSON Schema object.`);
    }
    if (tool.strict !== undefined && tool.strict !== null && typeof tool.strict !== 'boolean') {
      throw invalid(`${at}.strict`, `${at}.strict must be a boolean.`);
    }
    if (tool.description !== undefined && tool.description !== null && typeof tool.description !== 'string') {
      throw invalid(`${at}.description`, `${at}.description must be a string.`);
    }
    return {
      type: 'function',
      name: tool.name,
      description: (tool.description as string | undefined) ?? null,
      parameters: (tool.parameters as Record<string, unknown> | undefined) ?? null,
      strict: (tool.strict as boolean | undefined) ?? null,
    };
  });
}

/** `tool_choice`: a mode, one function, or a set of allowed functions (all naming tools in `tools`). */
export function parseToolChoice(value: unknown, tools: FunctionTool[]): ToolChoice {
  if (value === undefined || value === null) return 'auto';
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  const known = (name: unknown, param: string) => {
    if (typeof name !== 'string' || !tools.some((t) => t.name === name)) {
      throw invalid(param, `${param} must name a function in "tools".`);
    }
    return name;
  };
  if (isObject(value) && value.type === 'function') return { type: 'function', name: known(value.name, 'tool_choice.name') };
  if (isObject(value) && value.type === 'allowed_tools') {
    if (value.mode !== 'auto' && value.mode !== 'required') {
      throw invalid('tool_choice.mode', 'tool_choice.mode must be auto or required.');
    }
    if (!Array.isArray(value.tools) || value.tools.length === 0) {
      throw invalid('tool_choice.tools', 'tool_choice.tools must be a non-empty list of functions.');
    }
    const allowed = value.tools.map((t, i) => {
      const at = `tool_choice.tools[${i}]`;
      if (!isObject(t) || t.type !== 'function') throw invalid(at, `${at} must be {type: "function", name}.`);
      return { type: 'function' as const, name: known(t.name, `${at}.name`) };
    });
    return { type: 'allowed_tools', mode: value.mode, tools: allowed };
  }
  throw invalid(
    'tool_choice',
    '"tool_choice" must be none, auto, required, {type: "function", name} or {type: "allowed_tools", ...}; built-in tool choices are not supported.',
  );
}

/** `text`: the output format (`text`, `json_object`, `json_schema`) and `verbosity`. */
export function parseText(value: unknown): TextConfig {
  if (value === undefined || value === null) return { format: { type: 'text' } };
  if (!isObject(value)) throw invalid('text', '"text" must be an object.');
  for (const key of Object.keys(value)) {
    if (key !== 'format' && key !== 'verbosity') throw unknownParameter(`text.${key}`);
  }
  const config: TextConfig = { format: parseFormat(value.format) };
  if (value.verbosity !== undefined && value.verbosity !== null) {
    if (value.verbosity !== 'low' && value.verbosity !== 'medium' && value.verbosity !== 'high') {
      throw invalid('text.verbosity', 'text.verbosity must be low, medium or high.');
    }
    config.verbosity = value.verbosity;
  }
  return config;
}

function parseFormat(format: unknown): TextFormat {
  if (format === undefined || format === null) return { type: 'text' };
  if (!isObject(format)) throw invalid('text.format', 'text.format must be an object.');
  if (format.type === 'text' || format.type === 'json_object') return { type: format.type };
  if (format.type !== 'json_schema') {
    throw invalid('text.format.type', 'text.format.type must be text, json_object or json_schema.');
  }
  if (typeof format.name !== 'string' || !NAME.test(format.name)) {
    throw invalid('text.format.name', 'text.format.name must be 1 to 64 letters, digits, "_" or "-".');
  }
  if (!isObject(format.schema)) throw invalid('text.format.schema', 'text.format.schema must be a JSON Schema object.');
  if (format.strict !== undefined && format.strict !== null && typeof format.strict !== 'boolean') {
    throw invalid('text.format.strict', 'text.format.strict must be a boolean.');
  }
  return {
    type: 'json_schema',
    name: format.name,
    schema: format.schema,
    strict: (format.strict as boolean | undefined) ?? null,
    ...(typeof format.description === 'string' && { description: format.description }),
  };
}

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']);

/** `reasoning`: `effort` goes upstream as `reasoning_effort`; `summary` is accepted (upstreams do not summarise). */
export function parseReasoning(value: unknown): ReasoningConfig | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw invalid('reasoning', '"reasoning" must be an object.');
  for (const key of Object.keys(value)) {
    if (key !== 'effort' && key !== 'summary' && key !== 'generate_summary') throw unknownParameter(`reasoning.${key}`);
  }
  const effort = value.effort ?? null;
  if (effort !== null && !EFFORTS.has(String(effort))) {
    throw invalid('reasoning.effort', `reasoning.effort must be one of ${[...EFFORTS].join(', ')}.`);
  }
  const summary = value.summary ?? value.generate_summary ?? null;
  if (summary !== null && summary !== 'auto' && summary !== 'concise' && summary !== 'detailed') {
    throw invalid('reasoning.summary', 'reasoning.summary must be auto, concise or detailed.');
  }
  return { effort: effort as string | null, summary: summary as string | null };
}

export const INCLUDABLE = new Set([
  'message.output_text.logprobs',
  'reasoning.encrypted_content',
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
]);

/** `include`: OpenAI's values are accepted (see docs/ai.md for what each one does here). */
export function parseInclude(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid('include', '"include" must be a list.');
  value.forEach((v, i) => {
    if (!INCLUDABLE.has(String(v))) throw invalid(`include[${i}]`, `include[${i}]: "${String(v)}" is not an includable.`);
  });
  return value as string[];
}

export function unknownParameter(param: string): RelayError {
  return new RelayError('unknown_parameter', `"${param}" is not a parameter hookrelay supports on /v1/responses.`, {
    param,
  });
}
