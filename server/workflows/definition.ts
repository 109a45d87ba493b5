// The shape of a workflow file, as written (WorkflowFile) and as compiled at load (Workflow).
import type { StepPlugin } from '../../plugins/sdk.ts';
import type { Evaluate } from './expressions.ts';
import type { Schedule } from './schedule.ts';

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
  /** `foreach`: evaluates to the array whose items the step runs for (with `item` and `index` in scope). */
  foreach: Evaluate | null;
  /** Items of a `foreach` run at once (default 1). */
  concurrency: number;
  /** A failed item (foreach) leaves the step succeeded, its output null at that index. */
  continueOnError: boolean;
  /** The `parallel:` group the step is a branch of, or null. */
  group: string | null;
}

/** What runs one after the other: a step, or a `parallel:` group whose branches run at the same time. */
export type Unit = { kind: 'step'; step: CompiledStep } | { kind: 'parallel'; id: string; steps: CompiledStep[] };

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
  /** `on.schedule`: runs made at its ticks (see scheduler.ts). */
  schedule: Schedule | null;
  concurrency: number | null;
  /** Every step, branches of parallel groups included, in file order. */
  steps: CompiledStep[];
  /** The same steps as they run: one after the other, parallel groups as one unit. */
  units: Unit[];
  onError: CompiledStep[];
  /** Top-level `output:`: the run's output (default: its last step's output). */
  output: Evaluate | null;
  /** Step ids of `workflow.call` steps with the workflow each names (checked against the loaded ones). */
  calls: Array<{ step: string; workflow: string; line: number; col: number }>;
}

const duration = { anyOf: [{ type: 'string' }, { type: 'number', minimum: 0 }] };

const stepProperties = {
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
  foreach: { type: 'string', minLength: 1 },
  concurrency: { type: 'integer', minimum: 1, maximum: 100 },
  continueOnError: { type: 'boolean' },
};

const branchSchema = { type: 'object', additionalProperties: false, required: ['id', 'uses'], properties: stepProperties };

/** A step, or a `parallel:` group (an id and its branches; checked further in compile.ts). */
const stepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    ...stepProperties,
    parallel: { type: 'array', items: branchSchema, minItems: 1, maxItems: 20 },
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
      properties: {
        source: { type: 'string', minLength: 1 },
        type: types,
        if: { type: 'string', minLength: 1 },
        schedule: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cron: { type: 'string', minLength: 1 },
            timezone: { type: 'string', minLength: 1 },
            every: duration,
            missed: { enum: ['once', 'skip'] },
          },
        },
      },
    },
    concurrency: { type: 'integer', minimum: 1, maximum: 10_000 },
    steps: { type: 'array', items: stepSchema, minItems: 1, maxItems: 100 },
    onError: { type: 'array', items: branchSchema, maxItems: 20 },
    output: { type: 'string', minLength: 1 },
  },
};
