import { ConfigError } from '../errors.ts';

export interface UpstreamConfig {
  name: string;
  baseURL: string;
  apiKey: string;
  /** Model globs (`*` matches any run of characters); the first upstream that matches a model wins. */
  models: string[];
}

/** The `ai` config section with every default applied. */
export interface AiConfig {
  upstreams: UpstreamConfig[];
  /** Upstream requests in flight per upstream. */
  concurrency: number;
  /** Jobs waiting per upstream before create answers 429 ai_queue_full. */
  maxQueued: number;
  /** Responses (with their stored stream events) are deleted this long after they were created. */
  retentionDays: number;
  /** At most this many responses are kept; the oldest finished ones go first. */
  maxResponses: number;
  /** One response may run this long (queue wait excluded) before it fails with a timeout. */
  timeoutSeconds: number;
  /** A non-background, non-streaming create waits at most this long, then answers with the object as it is. */
  waitSeconds: number;
  /** Attempts per upstream call before the first token (429, 5xx, connection errors are retried). */
  maxAttempts: number;
  /** First retry delay; doubles per attempt (with jitter), capped at 30 s. */
  backoffMs: number;
  /** Signing secret for webhook_url deliveries (`whsec_` + base64); generated into the data dir when absent. */
  webhookSecret: string | null;
}

export const AI_DEFAULTS = {
  concurrency: 8,
  maxQueued: 10_000,
  retentionDays: 7,
  maxResponses: 10_000,
  timeoutSeconds: 600,
  waitSeconds: 300,
  maxAttempts: 4,
  backoffMs: 500,
} as const;

export const aiSectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    upstreams: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'baseURL'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
          baseURL: { type: 'string', minLength: 1 },
          apiKey: { type: 'string' },
          models: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000 },
    maxQueued: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    retentionDays: { type: 'number', exclusiveMinimum: 0 },
    maxResponses: { type: 'integer', minimum: 1 },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
    waitSeconds: { type: 'number', exclusiveMinimum: 0 },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 20 },
    backoffMs: { type: 'integer', minimum: 0 },
    webhookSecret: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]{16,}$' },
  },
};

type AiSection = Partial<Omit<AiConfig, 'upstreams' | 'webhookSecret'>> & {
  upstreams?: Array<Partial<UpstreamConfig> & { name: string; baseURL: string }>;
  webhookSecret?: string;
};

/** Applies defaults and checks what the schema cannot (unique names, URLs that parse). */
export function resolveAiConfig(section: unknown): AiConfig {
  const ai = (section ?? {}) as AiSection;
  const seen = new Set<string>();
  const upstreams = (ai.upstreams ?? []).map((u, i) => {
    if (seen.has(u.name))
      throw new ConfigError(`ai.upstreams[${i}].name`, `"${u.name}" is used twice; give each upstream its own name.`);
    seen.add(u.name);
    if (!URL.canParse(u.baseURL)) {
      throw new ConfigError(
        `ai.upstreams[${i}].baseURL`,
        `"${u.baseURL}" is not a URL; expected e.g. http://127.0.0.1:11434/v1.`,
      );
    }
    return { name: u.name, baseURL: u.baseURL, apiKey: u.apiKey ?? '', models: u.models ?? ['*'] };
  });
  return {
    ...AI_DEFAULTS,
    ...ai,
    upstreams,
    webhookSecret: ai.webhookSecret ?? null,
  };
}
