import type { Schema } from 'jsonschema';
import { aiSectionSchema } from '../ai/config.ts';
import { batchesSchema } from '../batches/settings.ts';
import { deliverySchema } from '../delivery/config.ts';
import { ingestSchema } from '../ingest/config.ts';
import { streamSchema } from '../live/config.ts';
import { workflowsConfigSchema } from '../workflows/config.ts';

// The config file's JSON Schema. Each subsystem owns its section; start-up validates the whole file
// once and reports every problem with its key path (server/config/load.ts).

const secrets = { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 };

export const sourceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'verify'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' },
    insecure: { type: 'boolean' },
    description: { type: 'string' },
    enrich: {
      type: 'object',
      additionalProperties: false,
      properties: {
        upstream: { type: 'string', minLength: 1 },
        baseURL: { type: 'string', minLength: 1 },
        apiKey: { type: 'string' },
        maxRetries: { type: 'integer', minimum: 0, maximum: 10 },
        timeoutMs: { type: 'integer', minimum: 100, maximum: 600_000 },
      },
    },
    verify: {
      type: 'object',
      additionalProperties: false,
      required: ['scheme'],
      properties: {
        scheme: { enum: ['standard-webhooks', 'openai', 'github', 'stripe', 'shopify', 'hmac', 'none'] },
        secrets,
        toleranceSeconds: { type: 'integer', minimum: 1 },
        header: { type: 'string', minLength: 1 },
        algorithm: { enum: ['sha1', 'sha256', 'sha384', 'sha512'] },
        encoding: { enum: ['hex', 'base64'] },
        prefix: { type: 'string' },
        idHeader: { type: 'string', minLength: 1 },
      },
    },
  },
};

export const storeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    driver: { enum: ['lowdb', 'memory', 'postgres'] },
    /** postgres only: a connection URL, usually "${DATABASE_URL}". */
    url: { type: 'string', minLength: 1 },
    /** postgres only: the schema the relay's tables live in (default: the role's search_path). */
    schema: { type: 'string', pattern: '^[a-z_][a-z0-9_]{0,62}$' },
    /** postgres only: seconds an instance may miss heartbeats before the others take over its work. */
    leaseSeconds: { type: 'number', minimum: 0.5, maximum: 3600 },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxEvents: { type: 'integer', minimum: 1 },
        maxAgeDays: { type: 'number', exclusiveMinimum: 0 },
      },
    },
  },
};

export const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    bodyBytes: { type: 'integer', minimum: 1024, maximum: 104_857_600 },
    jsonBodyBytes: { type: 'integer', minimum: 1024, maximum: 104_857_600 },
    rejections: { type: 'integer', minimum: 10, maximum: 100_000 },
    /** Nesting levels of arrays and objects in a JSON body; past ~1,000 JSON.stringify overflows the stack. */
    jsonDepth: { type: 'integer', minimum: 8, maximum: 1000 },
  },
};

/** Sections owned by subsystems register here (see server/subsystems.ts). */
export const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    host: { type: 'string', minLength: 1 },
    dataDir: { type: 'string', minLength: 1 },
    sources: { type: 'array', items: sourceSchema },
    store: storeSchema,
    limits: limitsSchema,
    ingest: ingestSchema,
    workflows: workflowsConfigSchema,
    ai: aiSectionSchema,
    stream: streamSchema,
    delivery: deliverySchema,
    batches: batchesSchema,
  } as Record<string, Schema>,
};
