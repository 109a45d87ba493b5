import type { RetentionPolicy, StoreDriver } from '../store/types.ts';

export type Scheme = 'standard-webhooks' | 'openai' | 'github' | 'stripe' | 'shopify' | 'hmac' | 'none';

export interface VerifyConfig {
  scheme: Scheme;
  secrets: string[];
  toleranceSeconds: number;
  header?: string;
  algorithm?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  encoding?: 'hex' | 'base64';
  prefix?: string;
  idHeader?: string;
}

/** Fetch the object an OpenAI webhook names, through a named `ai.upstreams` entry or a URL and key. */
export interface EnrichConfig {
  upstream?: string;
  baseURL?: string;
  apiKey?: string;
  maxRetries?: number;
  timeoutMs?: number;
}

export interface SourceConfig {
  name: string;
  insecure: boolean;
  description?: string;
  verify: VerifyConfig;
  enrich?: EnrichConfig;
}

export interface StoreConfig {
  driver: StoreDriver;
  retention: RetentionPolicy;
  /** postgres: the connection URL. */
  url?: string;
  /** postgres: the schema for the relay's tables. */
  schema?: string;
  /** postgres: seconds an instance may miss heartbeats before the others take over its work. */
  leaseSeconds?: number;
}

export interface RelayConfig {
  /** The config file read, if any. */
  file: string | null;
  port: number;
  host: string;
  dataDir: string;
  sources: SourceConfig[];
  store: StoreConfig;
  limits: { bodyBytes: number; jsonBodyBytes: number; rejections: number; jsonDepth: number };
  /** The validated file as written (after ${ENV} interpolation): subsystems read their own section. */
  sections: Record<string, unknown>;
}

export const DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  dataDir: './data',
  toleranceSeconds: 300,
  retention: { maxEvents: 100_000, maxAgeDays: 7 },
  bodyBytes: 1_048_576,
  jsonBodyBytes: 1_048_576,
  rejections: 1000,
  jsonDepth: 256,
} as const;
