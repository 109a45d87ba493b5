import { RelayError } from '../errors.ts';
import type { KeyLimits } from '../principals.ts';
import { parseScopes, type Scope } from './scopes.ts';

export interface KeyInput {
  name: string;
  scopes: Scope[];
  sources: string[] | null;
  limits: KeyLimits;
}

/** Upper bounds for each limit (README limits table): a typo cannot make a limit meaningless. */
export const LIMIT_BOUNDS: Record<keyof KeyLimits, number> = {
  requests_per_minute: 1_000_000,
  ai_tokens_per_day: 10_000_000_000,
  ai_tokens_per_month: 100_000_000_000,
  ai_concurrent: 10_000,
};

const MAX_SOURCES = 100;

const invalid = (param: string, message: string) => new RelayError('invalid_request', message, { param });

function parseName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 200) {
    throw invalid('name', '"name" must be a non-empty string (at most 200 characters).');
  }
  return value;
}

function parseSources(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && s !== '' && s.length <= 200)) {
    throw invalid('sources', '"sources" must be a list of source names (or null for every source).');
  }
  if (value.length > MAX_SOURCES) throw invalid('sources', `"sources" takes at most ${MAX_SOURCES} names.`);
  return [...new Set(value as string[])];
}

export function parseLimits(value: unknown): KeyLimits {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('limits', '"limits" must be an object.');
  const limits: KeyLimits = {};
  for (const [name, n] of Object.entries(value)) {
    if (!(name in LIMIT_BOUNDS)) {
      throw invalid(`limits.${name}`, `Unknown limit "${name}"; limits are: ${Object.keys(LIMIT_BOUNDS).join(', ')}.`);
    }
    if (n === null) continue;
    const max = LIMIT_BOUNDS[name as keyof KeyLimits];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
      throw invalid(`limits.${name}`, `"limits.${name}" must be an integer from 1 to ${max} (or null for none).`);
    }
    limits[name as keyof KeyLimits] = n;
  }
  return limits;
}

function body(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RelayError('invalid_request', 'The body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

export function parseCreateKey(value: unknown): KeyInput {
  const b = body(value);
  return {
    name: parseName(b.name),
    scopes: parseScopes(b.scopes),
    sources: parseSources(b.sources),
    limits: parseLimits(b.limits),
  };
}

/** PATCH: only the fields present change. */
export function parsePatchKey(value: unknown): Partial<KeyInput> {
  const b = body(value);
  const patch: Partial<KeyInput> = {};
  if ('name' in b) patch.name = parseName(b.name);
  if ('scopes' in b) patch.scopes = parseScopes(b.scopes);
  if ('sources' in b) patch.sources = parseSources(b.sources);
  if ('limits' in b) patch.limits = parseLimits(b.limits);
  return patch;
}
