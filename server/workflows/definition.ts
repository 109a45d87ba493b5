// The shape of a workflow file, as written (WorkflowFile) and as compiled at load (Workflow).
import type { StepPlugin } from '../../plugins/sdk.ts';
import type { Evaluate } from './expressions.ts';

export interface RetryPolicy {
  attempts: number;
  backoff: 'fixed' | 'exponential';
  delayMs: number;
  maxDelayMs: number;
}

export interface CompiledStep {
  id: string;
  uses: string;
  plugin: StepPlugin;
  /** Evaluates `with` (minus deferred fields) against the run context. */
  params: Evaluate;
  /** Deferred fields: compiled raw JSONata, handed to the plugin as functions. */
  deferred: Record<string, Evaluate>;
  condition: Evaluate | null;
  retry: RetryPolicy;
  timeoutMs: number | null;
}

export interface Trigger {
  source: string | null;
  types: string[];
  condition: Evaluate | null;
}

export interface Workflow {
  name: string;
  file: string;
  /** The file's text, kept for the API and the console. */
  text: string;
  trigger: Trigger | null;
  concurrency: number | null;
  steps: CompiledStep[];
  onError: CompiledStep[];
}

const duration = { anyOf: [{ type: 'string' }, { type: 'number', minimum: 0 }] };

const stepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'uses'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
    uses: { type: 'string', minLength: 1 },
    with: { type: 'object' },
    if: { type: 'string', minLength: 1 },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 1, maximum: 100 },
        backoff: { enum: ['fixed', 'exponential'] },
        delay: duration,
        maxDelay: duration,
      },
    },
    timeout: duration,
    name: { type: 'string' },
  },
};

const types = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
};

export const workflowSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'steps'],
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$' },
    description: { type: 'string' },
    on: {
      type: 'object',
      additionalProperties: false,
      properties: { source: { type: 'string', minLength: 1 }, type: types, if: { type: 'string', minLength: 1 } },
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 10_000 },
    steps: { type: 'array', items: stepSchema, minItems: 1, maxItems: 100 },
    onError: { type: 'array', items: stepSchema, maxItems: 20 },
  },
};
