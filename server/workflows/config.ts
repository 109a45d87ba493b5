import { dirname, resolve } from 'node:path';
import type { RelayConfig } from '../config/types.ts';
import type { WorkflowLimits } from './engine-deps.ts';
import { EXPRESSION_DEFAULTS, type ExpressionLimits } from './expression-limits.ts';

export const workflowsConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dir: { type: 'string', minLength: 1 },
    env: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
    secrets: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, maxItems: 100 },
    publicUrl: { type: 'string', pattern: '^https?://[^/?#]+(/[^?#]*)?$' },
    plugins: { type: 'array', items: { type: 'string', minLength: 1 } },
    maxChainDepth: { type: 'integer', minimum: 0, maximum: 100 },
    outputBytes: { type: 'integer', minimum: 1024, maximum: 16_777_216 },
    keepRuns: { type: 'integer', minimum: 10, maximum: 10_000_000 },
    watch: { type: 'boolean' },
    maxFileBytes: { type: 'integer', minimum: 1024, maximum: 16_777_216 },
    expressionTimeoutMs: { type: 'integer', minimum: 10, maximum: 60_000 },
    expressionMaxDepth: { type: 'integer', minimum: 10, maximum: 10_000 },
  },
};

export interface WorkflowsConfig {
  dir: string;
  /** Folder that relative plugin paths start from (the config file's folder, else the working dir). */
  baseDir: string;
  envNames: string[];
  secretNames: string[];
  /** Where services reach the relay, for callback URLs (no trailing slash); null: where it listens. */
  publicUrl: string | null;
  plugins: string[];
  limits: WorkflowLimits;
  watch: boolean;
  /** Workflow files larger than this are reported and not read. */
  maxFileBytes: number;
  /** Bounds on every expression evaluation. */
  expressions: ExpressionLimits;
}

export const WORKFLOW_DEFAULTS = {
  dir: './workflows',
  maxChainDepth: 5,
  outputBytes: 262_144,
  keepRuns: 10_000,
  maxFileBytes: 1_048_576,
  expressionTimeoutMs: EXPRESSION_DEFAULTS.timeoutMs,
  expressionMaxDepth: EXPRESSION_DEFAULTS.maxDepth,
} as const;

export function resolveWorkflowsConfig(config: RelayConfig, cwd = process.cwd()): WorkflowsConfig {
  const raw = (config.sections.workflows ?? {}) as Partial<{
    dir: string;
    env: string[];
    secrets: string[];
    publicUrl: string;
    plugins: string[];
    maxChainDepth: number;
    outputBytes: number;
    keepRuns: number;
    watch: boolean;
    maxFileBytes: number;
    expressionTimeoutMs: number;
    expressionMaxDepth: number;
  }>;
  const baseDir = config.file ? dirname(config.file) : cwd;
  return {
    dir: resolve(baseDir, raw.dir ?? WORKFLOW_DEFAULTS.dir),
    baseDir,
    envNames: raw.env ?? [],
    secretNames: raw.secrets ?? [],
    publicUrl: raw.publicUrl ? raw.publicUrl.replace(/\/+$/, '') : null,
    plugins: raw.plugins ?? [],
    watch: raw.watch ?? true,
    maxFileBytes: raw.maxFileBytes ?? WORKFLOW_DEFAULTS.maxFileBytes,
    expressions: {
      timeoutMs: raw.expressionTimeoutMs ?? WORKFLOW_DEFAULTS.expressionTimeoutMs,
      maxDepth: raw.expressionMaxDepth ?? WORKFLOW_DEFAULTS.expressionMaxDepth,
    },
    limits: {
      maxChainDepth: raw.maxChainDepth ?? WORKFLOW_DEFAULTS.maxChainDepth,
      outputBytes: raw.outputBytes ?? WORKFLOW_DEFAULTS.outputBytes,
      keepRuns: raw.keepRuns ?? WORKFLOW_DEFAULTS.keepRuns,
    },
  };
}

/** The allowed variables' values, read once at start-up. */
export function allowedEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name] as string]])));
}
