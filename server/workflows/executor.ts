import type { CompiledStep, Unit } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { bounded, runAttempts } from './attempts.ts';
import { failureCode } from './expression-limits.ts';
import { runForeach } from './foreach.ts';
import { runGroup } from './parallel.ts';
import type { RunStatus, StepRecord } from './run-store.ts';
import { type ActiveRun, DONE, iso, type Outcome } from './active-run.ts';
import { evaluateParams } from './params.ts';
import { Aborted, StopSignal } from './waits.ts';

// Runs one run's steps in order (a `parallel:` group's branches at the same time). A step whose record
// already says succeeded (or skipped) is not run again: its saved output is reused, which is how a run
// continues after a crash from the step that was running (at-least-once per step; per item in foreach).

export async function executeRun(deps: EngineDeps, run: ActiveRun): Promise<void> {
  const { record, workflow, controller } = run;
  const signal = controller.signal;
  try {
    await deps.slots.acquire(workflow.name, workflow.concurrency, signal);
  } catch {
    if (signal.reason instanceof StopSignal) return;
    return finish(deps, run, 'cancelled');
  }
  try {
    record.status = 'running';
    record.started_at ??= iso(deps.clock.now());
    const outcome = await runUnits(deps, run, workflow.units, signal);
    if (outcome.kind === 'failed') {
      record.error = { step: outcome.step, message: outcome.message, ...(outcome.code ? { code: outcome.code } : {}) };
      if (workflow.onError.length > 0) {
        const units = workflow.onError.map((step): Unit => ({ kind: 'step', step }));
        await runUnits(deps, run, units, signal, 'onError', record.error);
      }
      return await finish(deps, run, 'failed');
    }
    if (outcome.kind === 'completed') record.output = await runOutput(deps, run);
    await finish(deps, run, outcome.kind === 'ended' ? outcome.status : 'succeeded');
  } catch (error) {
    if (signal.reason instanceof StopSignal) return;
    if (error instanceof Aborted || signal.aborted) return await finish(deps, run, 'cancelled');
    const code = failureCode(error);
    record.error = { step: '', message: deps.redact((error as Error).message), ...(code ? { code } : {}) };
    await finish(deps, run, 'failed');
  } finally {
    deps.slots.release(workflow.name);
  }
}

/** The run's output: its top-level `output:` expression, or its last step's output. */
async function runOutput(deps: EngineDeps, run: ActiveRun): Promise<unknown> {
  if (!run.workflow.output) {
    const last = run.workflow.steps.at(-1);
    return run.record.steps.find((s) => s.id === last?.id && (s.phase ?? 'steps') === 'steps')?.output ?? null;
  }
  try {
    return deps.redact(bounded(await run.workflow.output(contextOf(deps, run, null, null)), deps.limits.outputBytes));
  } catch (e) {
    // The code (expression_timeout) goes with it to the run's error.
    throw Object.assign(new Error(`output: ${(e as Error).message}`), { code: failureCode(e) });
  }
}

async function finish(deps: EngineDeps, run: ActiveRun, status: RunStatus): Promise<void> {
  run.record.status = status;
  run.record.finished_at = iso(deps.clock.now());
  for (const step of run.record.steps) {
    if (step.status === 'running' || step.status === 'waiting') {
      step.status = 'failed';
      step.error ??= status === 'cancelled' ? 'cancelled' : 'interrupted';
      step.finished_at = run.record.finished_at;
    }
    if (step.waiting) step.waiting = false;
    for (const item of step.items ?? []) {
      if (item.status === 'running' || item.status === 'waiting') {
        item.status = 'failed';
        item.error ??= status === 'cancelled' ? 'cancelled' : 'interrupted';
        item.ended_at = run.record.finished_at;
      }
    }
  }
  await run.save();
  await deps.callbacks
    .forget(run.record)
    .catch((err: unknown) => deps.logger.warn({ err, run: run.record.id }, 'could not delete callbacks'));
}

export function contextOf(deps: EngineDeps, run: ActiveRun, stepId: string | null, error: unknown): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const step of run.record.steps) steps[step.id] = { output: step.output ?? null, status: step.status };
  const { id, workflow, created_at, trigger_event_id, chain_depth, scheduled_at } = run.record;
  const record = run.record;
  return {
    event: run.event,
    steps,
    run: {
      id,
      workflow,
      created_at,
      trigger_event_id,
      chain_depth,
      scheduled_at: scheduled_at ?? null,
      // Made when an expression reads it: most steps never do.
      get callback_url() {
        return deps.callbacks.url(record, stepId);
      },
    },
    input: run.record.input ?? null,
    env: deps.env,
    secrets: deps.secrets,
    error,
  };
}

async function runUnits(
  deps: EngineDeps,
  run: ActiveRun,
  units: Unit[],
  signal: AbortSignal,
  phase: 'steps' | 'onError' = 'steps',
  error: unknown = null,
): Promise<Outcome> {
  for (const unit of units) {
    const outcome =
      unit.kind === 'step'
        ? await runOne(deps, run, unit.step, phase, error, signal)
        : await runGroup(deps, run, unit.steps, signal, (step, branch) => runOne(deps, run, step, 'steps', null, branch));
    if (outcome.kind !== 'completed') return outcome;
  }
  return { kind: 'completed' };
}

export async function runOne(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  phase: 'steps' | 'onError',
  error: unknown,
  signal: AbortSignal,
): Promise<Outcome> {
  let record = run.record.steps.find((s) => s.id === step.id && (s.phase ?? 'steps') === phase);
  if (record && DONE.has(record.status)) return { kind: 'completed' };
  const context = contextOf(deps, run, step.id, error);
  if (!record) {
    record = {
      id: step.id,
      uses: step.uses,
      status: 'running',
      attempts: 0,
      started_at: iso(deps.clock.now()),
      finished_at: null,
      phase,
    };
    if (step.group) record.group = step.group;
    run.record.steps.push(record);
  }
  record.status = 'running';
  return runStep(deps, run, step, record, context, signal);
}

async function runStep(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  record: StepRecord,
  context: Record<string, unknown>,
  signal: AbortSignal,
): Promise<Outcome> {
  const fail = (message: string, code?: string): Outcome => {
    record.status = 'failed';
    record.error = deps.redact(message);
    record.finished_at = iso(deps.clock.now());
    return { kind: 'failed', step: step.id, message: record.error, ...(code ? { code } : {}) };
  };
  try {
    if (step.condition && !truthy(await step.condition(context))) {
      record.status = 'skipped';
      record.finished_at = iso(deps.clock.now());
      return { kind: 'completed' };
    }
  } catch (e) {
    return fail(`if: ${(e as Error).message}`, failureCode(e));
  }
  if (step.foreach) {
    const result = await runForeach(deps, run, step, record, context, signal);
    if (!result.ok) return fail(result.message, result.code);
    return succeeded(deps, run, step, record, result.value, null);
  }
  let params: Record<string, unknown>;
  try {
    params = await evaluateParams(step, context);
  } catch (e) {
    return fail(`with: ${(e as Error).message}`, failureCode(e));
  }
  // What the step was given, for the console's run view: bounded and redacted like its output.
  record.input = deps.redact(bounded(shownInput(params), deps.limits.outputBytes));
  const result = await runAttempts(deps, run, step, { key: step.id, step: record, record }, params, signal);
  if (!result.ok) return fail(result.message, result.code);
  return succeeded(deps, run, step, record, result.value, result.ended);
}

async function succeeded(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  record: StepRecord,
  value: unknown,
  ended: 'filtered' | 'succeeded' | null,
): Promise<Outcome> {
  record.status = ended ? 'filtered' : 'succeeded';
  record.output = deps.redact(bounded(value, deps.limits.outputBytes));
  record.error = null;
  record.wake_at = null;
  record.finished_at = iso(deps.clock.now());
  if (ended) return { kind: 'ended', status: ended };
  // The last step's output is saved together with the run's final status (one write per run).
  if (step !== run.workflow.steps.at(-1)) await run.save();
  return { kind: 'completed' };
}

/** `with` as stored: a deferred field (evaluated by the plugin as it runs) is shown by name only. */
function shownInput(params: Record<string, unknown>): unknown {
  return JSON.parse(
    JSON.stringify(params, (_key, value) => (typeof value === 'function' ? '(evaluated as the step runs)' : value)) ?? 'null',
  );
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}
