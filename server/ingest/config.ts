import type { RelayConfig } from '../config/types.ts';

/**
 * Request headers that carry a caller's credential rather than anything about the event: dropped
 * before the event is stored, so they are never delivered, shown to readers or given to workflows.
 * `ingest.redactHeaders` replaces this list (docs/security.md); `authorization`, `cookie` and
 * `proxy-authorization` are dropped whatever it says.
 */
export const DEFAULT_REDACTED_HEADERS: readonly string[] = [
  'x-api-key',
  'api-key',
  'apikey',
  'x-auth-token',
  'x-access-token',
  'x-refresh-token',
  'x-id-token',
  'x-session-token',
  'x-csrf-token',
  'x-xsrf-token',
  'x-amz-security-token',
  'x-goog-api-key',
  'x-functions-key',
  'ocp-apim-subscription-key',
  'x-vault-token',
  'private-token',
  'x-gitlab-token',
];

export interface IngestConfig {
  /** Lower-case header names dropped from stored events. */
  redactHeaders: ReadonlySet<string>;
}

export const ingestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    redactHeaders: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$" },
    },
  },
};

export function ingestConfig(config: RelayConfig): IngestConfig {
  const section = (config.sections.ingest ?? {}) as { redactHeaders?: string[] };
  return { redactHeaders: new Set((section.redactHeaders ?? DEFAULT_REDACTED_HEADERS).map((name) => name.toLowerCase())) };
}
