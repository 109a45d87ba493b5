import OpenAI from 'openai';
import { globMatches } from '../../ui/lib/glob.js';
import type { UpstreamConfig } from './config.ts';

export interface Upstream {
  readonly name: string;
  readonly client: OpenAI;
}

/** Model → upstream routing: the first upstream with a matching glob wins (config order). */
export interface UpstreamRouter {
  route(model: string): Upstream | undefined;
  readonly all: readonly Upstream[];
  /** The model globs per upstream, for the console's model picker. */
  models(): Array<{ upstream: string; models: string[] }>;
}

export function createUpstreamRouter(configs: readonly UpstreamConfig[], baseFetch: typeof fetch): UpstreamRouter {
  const entries = configs.map((config) => ({
    config,
    upstream: {
      name: config.name,
      // Retries are ours (before the first token only), so the SDK's own are off. Streams are read
      // with the relay's own reader (upstream-stream.ts), so bodies are passed through untouched.
      client: new OpenAI({ apiKey: config.apiKey || 'none', baseURL: config.baseURL, maxRetries: 0, fetch: baseFetch }),
    },
  }));
  return {
    route: (model) => entries.find((e) => e.config.models.some((glob) => globMatches(glob, model)))?.upstream,
    all: entries.map((e) => e.upstream),
    models: () => entries.map((e) => ({ upstream: e.config.name, models: e.config.models })),
  };
}
