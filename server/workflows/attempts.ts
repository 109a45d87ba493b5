import { END_RUN, isEndRun } from '../../plugins/sdk.ts';
import type { CompiledStep, RetryPolicy } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { failureCode } from './expression-limits.ts';
import type { ActiveRun, AttemptTarget } from './active-run.ts';
import { stepContext } from './step-context.ts';
import { Aborted, sleepUntil } from './waits.ts';

// The attempts of one step (or of one foreach item): each bounded by the step's timeout, retried with
// back-off until the step's `retry.attempts` are used up.

/** A failure's `code`: set for failures that have one (`expression_timeout`). */
export type AttemptResult =
  | { ok: true; value: unknown; ended: 'filtered' | 'succeeded' | null }
  | { ok: false; message: string; code?: string };

/** Runs attempts until one succeeds or the retries are used up; throws Aborted when `signal` aborts. */
export async function runAttempts(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  target: AttemptTarget,
  params: Record<string, unknown>,
  signal: AbortSignal,
): Promise<AttemptResult> {
  const record = target.record;
  for (;;) {
    record.attempts++;
    try {
      const result = await attempt(deps, run, step, target, params, signal);
      if (isEndRun(result)) return { ok: true, value: result.output, ended: result[END_RUN] };
      return { ok: true, value: result, ended: null };
    } catch (e) {
      if (signal.aborted) throw new Aborted(signal.reason);
      const message = deps.redact((e as Error).message ?? String(e));
      if (record.attempts >= step.retry.attempts) {
        const code = failureCode(e);
        return { ok: false, message, ...(code ? { code } : {}) };
      }
      record.error = message;
      const retryAt = deps.clock.now() + backoff(step.retry, record.attempts);
      // Shown in the API while the step waits for its next attempt (not saved: see durability docs).
      record.wake_at = new Date(retryAt).toISOString();
      deps.logger.warn({ run: run.record.id, step: target.key, attempt: record.attempts, err: message }, 'step failed; retrying');
      await sleepUntil(deps.clock, retryAt, signal);
      record.wake_at = null;
    }
  }
}

/** One attempt, bounded by the step's timeout; a plugin that ignores its signal is abandoned on time. */
async function attempt(
  deps: EngineDeps,
  run: ActiveRun,
  step: CompiledStep,
  target: AttemptTarget,
  params: Record<string, unknown>,
  signal: AbortSignal,
) {
  if (step.timeoutMs === null) {
    // No timeout: the run's own signal serves every such attempt, with nothing to set up each time.
    if (signal === run.controller.signal) run.aborted ??= rejectOnAbort(signal);
    const aborted = signal === run.controller.signal && run.aborted ? run.aborted : rejectOnAbort(signal);
    return await Promise.race([step.plugin.run(stepContext(deps, run, target, signal), params), aborted]);
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const timer = deps.clock.setTimeout(() => controller.abort(new Error(`timed out after ${step.timeoutMs} ms`)), step.timeoutMs);
  try {
    const ctx = stepContext(deps, run, target, controller.signal);
    return await Promise.race([step.plugin.run(ctx, params), rejectOnAbort(controller.signal)]);
  } finally {
    timer.clear();
    signal.removeEventListener('abort', onAbort);
  }
}

/** Rejects with the signal's reason when it aborts (at once if it has); never resolves otherwise. */
export function rejectOnAbort(signal: AbortSignal): Promise<never> {
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

/** Keeps outputs bounded: a larger one becomes a preview that later steps see too (the same after a restart). */
export function bounded(output: unknown, maxBytes: number): unknown {
  if (output === undefined) return null;
  const text = JSON.stringify(output) ?? 'null';
  if (Buffer.byteLength(text) <= maxBytes) return output;
  return { truncated: true, bytes: Buffer.byteLength(text), preview: text.slice(0, 1024) };
}
