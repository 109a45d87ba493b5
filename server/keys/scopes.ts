import { RelayError } from '../errors.ts';

/**
 * What a key may do. `admin` opens every route; `sources` manages the relay's sources (a key's
 * `sources` list, not this scope, narrows `events:*` to named sources).
 */
export const SCOPES = ['admin', 'events:read', 'events:write', 'endpoints', 'workflows', 'ai', 'usage:read', 'sources'] as const;

export type Scope = (typeof SCOPES)[number];

const KNOWN = new Set<string>(SCOPES);

export const isScope = (value: unknown): value is Scope => typeof value === 'string' && KNOWN.has(value);

/** A non-empty list of known scopes, without repeats; an unknown one is a coded 400 naming it. */
export function parseScopes(value: unknown): Scope[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new RelayError('invalid_request', `"scopes" must be a non-empty list of: ${SCOPES.join(', ')}.`, {
      param: 'scopes',
    });
  }
  for (const scope of value) {
    if (!isScope(scope)) {
      throw new RelayError('unknown_scope', `Unknown scope ${JSON.stringify(scope)}; scopes are: ${SCOPES.join(', ')}.`, {
        param: 'scopes',
      });
    }
  }
  return [...new Set(value as Scope[])];
}
