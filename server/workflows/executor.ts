import { END_RUN, isEndRun } from '../../plugins/sdk.ts';
import type { CompiledStep, RetryPolicy, Workflow } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import type { RunStatus, StepRecord } from './run-store.ts';
import { type RunHandle, stepContext } from './step-context.ts';
import { Aborted, StopSignal, sleepUntil } from './waits.ts';

// Runs one run's steps in order. A step whose record already says succeeded (or skipped) is not run
// again: its saved output is reused, which is how a run continues after a crash from the step that was
// running (at-least-once per step).

type Outcome =
  | { kind: 'completed' }
  | { kind: 'ended'; status: RunStatus }
  | { kind: 'failed'; step: string; message: string; code?: string };

/** The code a failure carries (ExpressionTimeout's `expression_timeout`), if any. */
const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'expression_timeout' ? code : undefined;
};

export interface ActiveRun extends RunHandle {
  workflow: Workflow;
  controller: AbortController;
  /** The trigger event as expressions see it. */
  event: unknown;
  /** Rejects once the run's signal aborts: made on first use, shared by its attempts without a timeout. */
  aborted?: Promise<never>;
}

const DONE = new Set(['succeeded', 'skipped', 'filtered']);
let lastMs = Number.NaN;
let lastIso = '';
/** Timestamps on runs: several per run within the same millisecond, so the last one is reused. */
function iso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

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
    const outcome = await runSteps(deps, run, workflow.steps, 'steps', null);
    if (outcome.kind === 'failed') {
      record.error = { step: outcome.step, message: outcome.message, ...(outcome.code ? { code: outcome.code } : {}) };
      if (workflow.onError.length > 0) await runSteps(deps, run, workflow.onError, 'onError', record.error);
      return await finish(deps, run, 'failed');
    }
    await finish(deps, run, outcome.kind === 'ended' ? outcome.status : 'succeeded');
  } catch (error) {
    if (signal.reason instanceof StopSignal) return;
    if (error instanceof Aborted || signal.aborted) return await finish(deps, run, 'cancelled');
    record.error = { step: '', message: (error as Error).message };
    await finish(deps, run, 'failed');
  } finally {
    deps.slots.release(workflow.name);
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
  }
  await run.save();
}

function contextOf(deps: EngineDeps, run: ActiveRun, error: unknown): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const step of run.record.steps) steps[step.id] = { output: step.output ?? null, status: step.status };
  const { id, workflow, created_at, trigger_event_id, chain_depth } = run.record;
  return { event: run.event, steps, run: { id, workflow, created_at, trigger_event_id, chain_depth }, env: deps.env, error };
}

async function runSteps(
  deps: EngineDeps,
  run: ActiveRun,
  steps: CompiledStep[],
  phase: 'steps' | 'onError',
  error: unknown,
): Promise<Outcome> {
  for (const step of steps) {
    let record = run.record.steps.find((s) => s.id === step.id && (s.phase ?? 'steps') === phase);
    if (record && DONE.has(record.status)) continue;
    const context = contextOf(deps, run, error);
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
      run.record.steps.push(record);
    }
    record.status = 'running';
    const outcome = await runStep(deps, run, step, record, context);
    if (outcome.kind !== 'completed') return outcome;
  }
  return { kind: 'completed' };
}

async function runStep(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  record: StepRecord,
  context: Record<string, unknown>,
): Promise<Outcome> {
  const fail = (message: string, cause?: unknown): Outcome => {
    record.status = 'failed';
    record.error = message;
    record.finished_at = iso(deps.clock.now());
    const code = codeOf(cause);
    return { kind: 'failed', step: step.id, message, ...(code ? { code } : {}) };
  };
  try {
    if (step.condition && !truthy(await step.condition(context))) {
      record.status = 'skipped';
      record.finished_at = iso(deps.clock.now());
      return { kind: 'completed' };
    }
  } catch (e) {
    return fail(`if: ${(e as Error).message}`, e);
  }
  let params: Record<string, unknown>;
  try {
    params = (await step.params(context)) as Record<string, unknown>;
    for (const [key, evaluate] of Object.entries(step.deferred))
      params[key] = (extra?: object) => evaluate({ ...context, ...extra });
  } catch (e) {
    return fail(`with: ${(e as Error).message}`, e);
  }
  for (;;) {
    record.attempts++;
    try {
      const result = await attempt(deps, run, step, record, params);
      record.status = isEndRun(result) ? 'filtered' : 'succeeded';
      record.output = bounded(isEndRun(result) ? result.output : result, deps.limits.outputBytes);
      record.error = null;
      record.wake_at = null;
      record.finished_at = iso(deps.clock.now());
      if (isEndRun(result)) return { kind: 'ended', status: result[END_RUN] };
      // The last step's output is saved together with the run's final status (one write per run).
      if (step !== run.workflow.steps.at(-1)) await run.save();
      return { kind: 'completed' };
    } catch (e) {
      if (run.controller.signal.aborted) throw new Aborted(run.controller.signal.reason);
      const message = (e as Error).message ?? String(e);
      if (record.attempts >= step.retry.attempts) return fail(message, e);
      record.error = message;
      const retryAt = deps.clock.now() + backoff(step.retry, record.attempts);
      // Shown in the API while the step waits for its next attempt (not saved: see durability docs).
      record.wake_at = iso(retryAt);
      deps.logger.warn({ run: run.record.id, step: step.id, attempt: record.attempts, err: message }, 'step failed; retrying');
      await sleepUntil(deps.clock, retryAt, run.controller.signal);
      record.wake_at = null;
    }
  }
}

/** One attempt, bounded by the step's timeout; a plugin that ignores its signal is abandoned on time. */
async function attempt(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  record: StepRecord,
  params: Record<string, unknown>,
) {
  const runSignal = run.controller.signal;
  if (step.timeoutMs === null) {
    // No timeout: the run's own signal serves every such attempt, with nothing to set up each time.
    run.aborted ??= rejectOnAbort(runSignal);
    return await Promise.race([step.plugin.run(stepContext(deps, run, record, runSignal), params), run.aborted]);
  }
  const controller = new AbortController();
  const onRunAbort = () => controller.abort(runSignal.reason);
  if (runSignal.aborted) onRunAbort();
  else runSignal.addEventListener('abort', onRunAbort, { once: true });
  const timer = deps.clock.setTimeout(() => controller.abort(new Error(`timed out after ${step.timeoutMs} ms`)), step.timeoutMs);
  try {
    const ctx = stepContext(deps, run, record, controller.signal);
    return await Promise.race([step.plugin.run(ctx, params), rejectOnAbort(controller.signal)]);
  } finally {
    timer.clear();
    runSignal.removeEventListener('abort', onRunAbort);
  }
}

/** Rejects with the signal's reason when it aborts (at once if it has); never resolves otherwise. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  const aborted = signal.aborted
    ? Promise.reject(signal.reason)
    : new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  aborted.catch(() => {});
  return aborted;
}

export function backoff(retry: RetryPolicy, attempt: number): number {
  const delay = retry.backoff === 'fixed' ? retry.delayMs : retry.delayMs * 2 ** (attempt - 1);
  return Math.min(delay, retry.maxDelayMs);
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** Keeps outputs bounded: a larger one becomes a preview that later steps see too (the same after a restart). */
export function bounded(output: unknown, maxBytes: number): unknown {
  if (output === undefined) return null;
  const text = JSON.stringify(output) ?? 'null';
  if (Buffer.byteLength(text) <= maxBytes) return output;
  return { truncated: true, bytes: Buffer.byteLength(text), preview: text.slice(0, 1024) };
}
