import OpenAI from 'openai';
import type { EnrichConfig, SourceConfig } from '../config/types.ts';
import { ConfigError } from '../errors.ts';

interface UpstreamConfig {
  name: string;
  baseURL: string;
  apiKey?: string;
}

export const ENRICH_DEFAULTS = { maxRetries: 4, timeoutMs: 30_000 } as const;

/**
 * One OpenAI client per source that has `enrich`, resolved once at start-up: either a named entry of
 * `ai.upstreams` or its own `baseURL` (+ `apiKey`). Misconfiguration names the key path.
 */
export function enrichClients(
  sources: SourceConfig[],
  sections: Record<string, unknown>,
  fetchImpl: typeof fetch,
): Map<string, OpenAI> {
  const upstreams = ((sections.ai as { upstreams?: UpstreamConfig[] } | undefined)?.upstreams ?? []) as UpstreamConfig[];
  const clients = new Map<string, OpenAI>();
  sources.forEach((source, i) => {
    if (!source.enrich) return;
    const at = `sources[${i}].enrich`;
    if (source.verify.scheme !== 'openai') {
      throw new ConfigError(at, `enrich fetches OpenAI objects; it needs verify.scheme "openai" (got "${source.verify.scheme}")`);
    }
    const target = resolveTarget(source.enrich, upstreams, at);
    clients.set(
      source.name,
      new OpenAI({
        baseURL: target.baseURL,
        apiKey: target.apiKey || 'none',
        maxRetries: source.enrich.maxRetries ?? ENRICH_DEFAULTS.maxRetries,
        timeout: source.enrich.timeoutMs ?? ENRICH_DEFAULTS.timeoutMs,
        fetch: fetchImpl,
      }),
    );
  });
  return clients;
}

function resolveTarget(enrich: EnrichConfig, upstreams: UpstreamConfig[], at: string): { baseURL: string; apiKey?: string } {
  if (enrich.upstream && enrich.baseURL) throw new ConfigError(at, 'give either upstream or baseURL, not both');
  if (enrich.upstream) {
    const found = upstreams.find((u) => u.name === enrich.upstream);
    if (!found) {
      const names = upstreams.map((u) => u.name).join(', ') || 'none configured';
      throw new ConfigError(`${at}.upstream`, `no ai.upstreams entry named "${enrich.upstream}" (known: ${names})`);
    }
    return found;
  }
  if (enrich.baseURL) return { baseURL: enrich.baseURL, apiKey: enrich.apiKey };
  throw new ConfigError(at, 'expected upstream (a name from ai.upstreams) or baseURL and apiKey');
}
