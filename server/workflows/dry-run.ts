import { END_RUN, isEndRun } from '../../plugins/sdk.ts';
import type { RelayEvent } from '../store/types.ts';
import type { CompiledStep, Workflow } from './definition.ts';
import { bounded } from './attempts.ts';
import { MAX_FOREACH_ITEMS } from './foreach.ts';
import { triggerMatches } from './trigger.ts';

// A dry run evaluates a workflow against a stored event without side effects: the trigger (source,
// type, `if`), then each step's `if` and `with` in order (a `parallel:` group's branches one after
// another; a `foreach` step's `with` once per item). Steps that only compute (`filter`, `transform`)
// run for real, so later expressions see their outputs; every other step (http.request, deliver, emit,
// state.put, openai.responses, delay, wait.event, wait.callback, workflow.call, log, plugins) is not
// run: the dry run reports the input it would have been given, and later steps see its output as null.
// Nothing is stored, no run is made, no request leaves the relay; secret values are redacted.

/** Steps without side effects, run for real during a dry run. */
export const PURE_STEPS: ReadonlySet<string> = new Set(['filter', 'transform']);

export type DryStepStatus = 'succeeded' | 'skipped' | 'filtered' | 'failed' | 'not_run';

export interface DryStep {
  id: string;
  uses: string;
  /** The `parallel:` group the step is a branch of. */
  group?: string;
  status: DryStepStatus;
  /** The evaluated `with`: what the step would be given (a foreach step: one per item). */
  input: unknown;
  output: unknown;
  error: string | null;
  duration_ms: number;
}

export interface DryRun {
  object: 'workflow.dry_run';
  workflow: string;
  event_id: string;
  /** Whether the event would trigger the workflow by itself (manual runs ignore the trigger). */
  trigger: { matches: boolean; reason: string };
  status: 'succeeded' | 'filtered' | 'failed';
  steps: DryStep[];
}

/** What expressions may read besides the event: `env.X`, `secrets.X`, and how stored values are redacted. */
export interface DryRunScope {
  env: Record<string, string>;
  secrets: Record<string, string>;
  redact<T>(value: T): T;
  outputBytes: number;
}

export async function dryRun(workflow: Workflow, event: RelayEvent, scope: DryRunScope): Promise<DryRun> {
  const trigger = await triggerResult(workflow, event);
  const steps: DryStep[] = [];
  const outputs: Record<string, { output: unknown; status: string }> = {};
  const run = {
    id: 'dry_run',
    workflow: workflow.name,
    created_at: event.received_at,
    trigger_event_id: event.id,
    chain_depth: 0,
    scheduled_at: null,
    callback_url: null,
  };
  const { env, secrets } = scope;
  let status: DryRun['status'] = 'succeeded';
  // The branches of a parallel group see the steps before the group only (they cannot refer to each
  // other), so evaluating them in order gives what running them at once would.
  for (const step of workflow.steps) {
    const context = { event, steps: outputs, run, input: null, env, secrets, error: null };
    const { result, ended } = await dryStep(step, context, scope.outputBytes);
    steps.push(scope.redact(result));
    outputs[step.id] = { output: result.output, status: result.status };
    if (result.status === 'failed' || result.status === 'filtered') status = result.status;
    if (ended || result.status === 'failed') break;
  }
  return { object: 'workflow.dry_run', workflow: workflow.name, event_id: event.id, trigger, status, steps };
}

async function triggerResult(workflow: Workflow, event: RelayEvent): Promise<DryRun['trigger']> {
  if (!workflow.trigger && workflow.schedule)
    return { matches: false, reason: 'The workflow has only `on.schedule`: no event triggers it.' };
  if (!workflow.trigger)
    return { matches: false, reason: 'The workflow has no `on:` trigger; it runs only when started by hand.' };
  if (!triggerMatches(workflow, event)) return { matches: false, reason: 'The event’s source or type is not in `on:`.' };
  if (!workflow.trigger.condition) return { matches: true, reason: 'Source and type match.' };
  try {
    const holds = Boolean(await workflow.trigger.condition({ ...event, event }));
    return { matches: holds, reason: holds ? 'Source, type and `on.if` match.' : '`on.if` is false for this event.' };
  } catch (error) {
    return { matches: false, reason: `on.if: ${(error as Error).message}` };
  }
}

async function dryStep(
  step: CompiledStep,
  context: Record<string, unknown>,
  outputBytes: number,
): Promise<{ result: DryStep; ended: boolean }> {
  const started = performance.now();
  const done = (status: DryStepStatus, fields: Partial<DryStep> = {}, ended = false) => ({
    result: {
      id: step.id,
      uses: step.uses,
      ...(step.group ? { group: step.group } : {}),
      status,
      input: null,
      output: null,
      error: null,
      duration_ms: Math.round(performance.now() - started),
      ...fields,
    },
    ended,
  });
  try {
    if (step.condition && !truthy(await step.condition(context))) return done('skipped');
  } catch (e) {
    return done('failed', { error: `if: ${(e as Error).message}` });
  }
  if (step.foreach) return dryForeach(step, context, outputBytes, done);
  let input: Record<string, unknown>;
  try {
    input = (await step.params(context)) as Record<string, unknown>;
  } catch (e) {
    return done('failed', { error: `with: ${(e as Error).message}` });
  }
  if (!PURE_STEPS.has(step.uses)) return done('not_run', { input: bounded(input, outputBytes) });
  try {
    // Pure steps ignore their context; none is given, so nothing can reach the outside.
    const result = await step.plugin.run(undefined as never, input);
    const output = bounded(isEndRun(result) ? result.output : result, outputBytes);
    const status = isEndRun(result) && result[END_RUN] === 'filtered' ? 'filtered' : 'succeeded';
    return done(status, { input: bounded(input, outputBytes), output }, isEndRun(result));
  } catch (e) {
    return done('failed', { input: bounded(input, outputBytes), error: (e as Error).message });
  }
}

type Done = (status: DryStepStatus, fields?: Partial<DryStep>) => { result: DryStep; ended: boolean };

/** A foreach step: its list, then `with` per item (`item`, `index`); pure steps run per item. */
async function dryForeach(step: CompiledStep, context: Record<string, unknown>, outputBytes: number, done: Done) {
  let list: unknown;
  try {
    list = (await step.foreach?.(context)) ?? [];
  } catch (e) {
    return done('failed', { error: `foreach: ${(e as Error).message}` });
  }
  if (!Array.isArray(list)) return done('failed', { error: `foreach: expected an array, got ${typeof list}` });
  if (list.length > MAX_FOREACH_ITEMS)
    return done('failed', { error: `foreach: ${list.length} items, over the limit of ${MAX_FOREACH_ITEMS}` });
  const inputs: unknown[] = [];
  const outputs: unknown[] = [];
  for (const [index, item] of list.entries()) {
    let input: Record<string, unknown>;
    try {
      input = (await step.params({ ...context, item, index })) as Record<string, unknown>;
    } catch (e) {
      return done('failed', {
        input: bounded(inputs, outputBytes),
        error: `item ${index} failed: with: ${(e as Error).message}`,
      });
    }
    inputs.push(input);
    if (!PURE_STEPS.has(step.uses)) continue;
    try {
      const result = await step.plugin.run(undefined as never, input);
      outputs.push(isEndRun(result) ? result.output : result);
    } catch (e) {
      if (!step.continueOnError)
        return done('failed', { input: bounded(inputs, outputBytes), error: `item ${index} failed: ${(e as Error).message}` });
      outputs.push(null);
    }
  }
  if (!PURE_STEPS.has(step.uses)) return done('not_run', { input: bounded(inputs, outputBytes) });
  return done('succeeded', { input: bounded(inputs, outputBytes), output: bounded(outputs, outputBytes) });
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}
