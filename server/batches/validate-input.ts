import { DEFAULTS } from '../config/types.ts';
import { exceedsJsonDepth } from '../json-depth.ts';
import type { BatchEndpoint, BatchError, RequestLine } from './types.ts';

const MAX_REPORTED_ERRORS = 100;

/**
 * Checks every line of a batch input file (JSONL of {custom_id, method, url, body}) and returns the
 * request lines, or the problems with their 1-based line numbers, in OpenAI's error shape.
 */
export function validateInput(
  text: string,
  endpoint: BatchEndpoint,
  maxLines: number,
  maxDepth: number = DEFAULTS.jsonDepth,
): { lines: RequestLine[]; errors: BatchError[] } {
  const lines: RequestLine[] = [];
  const errors: BatchError[] = [];
  const seen = new Set<string>();
  const raw = text.split('\n');
  raw.forEach((content, i) => {
    if (errors.length >= MAX_REPORTED_ERRORS || content.trim() === '') return;
    const problem = checkLine(content, i + 1, endpoint, seen, maxDepth);
    if ('code' in problem) errors.push(problem);
    else lines.push(problem);
  });
  if (errors.length === 0 && lines.length === 0) {
    errors.push({ code: 'empty_file', message: 'The input file has no request lines.', param: null, line: null });
  }
  if (lines.length > maxLines) {
    errors.push({
      code: 'too_many_requests',
      message: `The input file has more than ${maxLines} request lines.`,
      param: null,
      line: null,
    });
  }
  return { lines, errors };
}

function checkLine(
  content: string,
  line: number,
  endpoint: BatchEndpoint,
  seen: Set<string>,
  maxDepth: number,
): RequestLine | BatchError {
  const error = (code: string, message: string, param: string | null = null): BatchError => ({ code, message, param, line });
  if (exceedsJsonDepth(Buffer.from(content), maxDepth))
    return error('json_too_deep', `This line nests arrays and objects more than ${maxDepth} levels deep (limits.jsonDepth).`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return error('invalid_json_line', 'This line is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return error('invalid_request', 'Each line must be a JSON object.');
  const { custom_id, method, url, body } = parsed as Record<string, unknown>;
  if (typeof custom_id !== 'string' || custom_id === '')
    return error('missing_required_parameter', 'custom_id must be a non-empty string.', 'custom_id');
  if (seen.has(custom_id)) return error('duplicate_custom_id', `custom_id "${custom_id}" appears more than once.`, 'custom_id');
  seen.add(custom_id);
  if (method !== 'POST') return error('invalid_method', 'method must be "POST".', 'method');
  if (url !== endpoint) return error('mismatched_url', `url must be the batch's endpoint "${endpoint}".`, 'url');
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return error('missing_required_parameter', 'body must be a JSON object.', 'body');
  const request = body as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '')
    return error('missing_required_parameter', 'body.model must be a string.', 'body.model');
  if (request.stream === true) return error('invalid_request', 'Streaming is not supported in a batch.', 'body.stream');
  if (request.background === true)
    return error('invalid_request', 'Background mode is not supported in a batch.', 'body.background');
  return { line, custom_id, model: request.model, body: request };
}
