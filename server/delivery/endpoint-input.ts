import { RelayError } from '../errors.ts';
import type { EndpointFilter } from './types.ts';

/** What POST and PATCH /v1/endpoints accept, checked field by field (unknown fields are refused). */
export interface EndpointInput {
  url?: string;
  description?: string;
  filter?: EndpointFilter;
  headers?: Record<string, string>;
  enabled?: boolean;
  disabled_reason?: string | null;
  concurrency?: number | null;
  rate_limit?: number | null;
  ordered?: boolean;
  paused?: boolean;
  uid?: string | null;
  metadata?: Record<string, unknown>;
}

/** The largest `metadata` an endpoint keeps, as serialised JSON. */
export const ENDPOINT_METADATA_BYTES = 4096;
const UID = /^[A-Za-z0-9._:@/-]{1,200}$/;

const FIELDS = new Set([
  'url',
  'description',
  'filter',
  'headers',
  'enabled',
  'disabled_reason',
  'concurrency',
  'rate_limit',
  'ordered',
  'paused',
  'uid',
  'metadata',
]);
const RESERVED_HEADER =
  /^(webhook-|svix-|x-hookrelay-)|^(content-type|content-length|host|connection|transfer-encoding|user-agent)$/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

const invalid = (message: string) => new RelayError('invalid_request', message);

export function parseEndpointInput(body: unknown, creating: boolean): EndpointInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('The body must be a JSON object.');
  const raw = body as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) throw invalid(`Unknown field(s): ${unknown.join(', ')}.`);
  const input: EndpointInput = {};
  if (creating || raw.url !== undefined) input.url = parseUrl(raw.url);
  if (raw.description !== undefined) input.description = text(raw.description, 'description', 1000);
  if (raw.filter !== undefined) input.filter = parseFilter(raw.filter);
  if (raw.headers !== undefined) input.headers = parseHeaders(raw.headers);
  if (raw.enabled !== undefined) input.enabled = bool(raw.enabled, 'enabled');
  if (raw.disabled_reason !== undefined) {
    input.disabled_reason = raw.disabled_reason === null ? null : text(raw.disabled_reason, 'disabled_reason', 500);
  }
  if (raw.concurrency !== undefined) input.concurrency = number(raw.concurrency, 'concurrency', 1, 1000, true);
  if (raw.rate_limit !== undefined) input.rate_limit = number(raw.rate_limit, 'rate_limit', 0.01, 100_000, false);
  if (raw.ordered !== undefined) input.ordered = bool(raw.ordered, 'ordered');
  if (raw.paused !== undefined) input.paused = bool(raw.paused, 'paused');
  if (raw.uid !== undefined) {
    if (!creating) throw invalid('"uid" is chosen when the endpoint is created and does not change.');
    input.uid = parseUid(raw.uid);
  }
  if (raw.metadata !== undefined) input.metadata = parseMetadata(raw.metadata);
  return input;
}

function parseUid(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !UID.test(value))
    throw invalid('"uid" must be 1 to 200 characters of letters, digits and . _ : @ / -, or null.');
  return value;
}

function parseMetadata(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('"metadata" must be a JSON object.');
  if (Buffer.byteLength(JSON.stringify(value)) > ENDPOINT_METADATA_BYTES)
    throw invalid(`"metadata" may be at most ${ENDPOINT_METADATA_BYTES} bytes of JSON.`);
  return value as Record<string, unknown>;
}

function parseUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) throw invalid('"url" must be an http(s) URL of at most 2048 characters.');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`"url" is not a valid URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('"url" must use http or https.');
  return url.href;
}

function parseFilter(value: unknown): EndpointFilter {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('"filter" must be an object {sources?, types?}.');
  const { sources, types, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw invalid(`Unknown filter field(s): ${Object.keys(rest).join(', ')}.`);
  return { sources: strings(sources, 'filter.sources'), types: strings(types, 'filter.types') };
}

function strings(value: unknown, name: string): string[] | null {
  if (value === undefined || value === null) return null;
  if (
    !Array.isArray(value) ||
    value.length > 100 ||
    !value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 200)
  ) {
    throw invalid(`"${name}" must be a list of at most 100 non-empty strings.`);
  }
  return value.length > 0 ? (value as string[]) : null;
}

function parseHeaders(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('"headers" must be an object of header names to values.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > 20) throw invalid('"headers" may hold at most 20 headers.');
  const headers: Record<string, string> = {};
  for (const [name, v] of entries) {
    if (!HEADER_NAME.test(name)) throw invalid(`"${name}" is not a valid header name.`);
    if (RESERVED_HEADER.test(name)) throw invalid(`"${name}" is set by hookrelay and cannot be overridden.`);
    if (typeof v !== 'string' || v.length > 4096 || /[\r\n\0]/.test(v))
      throw invalid(`Header "${name}" must be a single-line string.`);
    headers[name.toLowerCase()] = v;
  }
  return headers;
}

function text(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value.length > max) throw invalid(`"${name}" must be a string of at most ${max} characters.`);
  return value;
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalid(`"${name}" must be true or false.`);
  return value;
}

function number(value: unknown, name: string, min: number, max: number, integer: boolean): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !(value >= min && value <= max) || (integer && !Number.isInteger(value))) {
    throw invalid(`"${name}" must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, or null for the default.`);
  }
  return value;
}
