import type { CompiledStep } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { type ActiveRun, DONE, iso, type Outcome } from './active-run.ts';
import { Aborted } from './waits.ts';

// `parallel:` groups: the branches start at once; the group finishes when all have, or at the first
// failure, which stops the others (fail fast).

/** A parallel group: every branch at once, each run by `runBranch`; the first failure aborts the others (fail fast). */
export async function runGroup(
  deps: EngineDeps,
  run: ActiveRun,
  steps: CompiledStep[],
  signal: AbortSignal,
  runBranch: (step: CompiledStep, signal: AbortSignal) => Promise<Outcome>,
): Promise<Outcome> {
  const group = new AbortController();
  const onAbort = () => group.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  run.branches += steps.length - 1;
  let first = null as Outcome | null;
  try {
    await Promise.all(
      steps.map(async (step) => {
        try {
          const outcome = await runBranch(step, group.signal);
          if (outcome.kind !== 'completed' && !first) {
            first = outcome;
            group.abort(new Error(`branch "${step.id}" ${outcome.kind === 'failed' ? 'failed' : 'ended the run'}`));
          }
        } catch (e) {
          // A branch stopped because another failed: recorded as failed with that reason.
          if (signal.aborted || !(e instanceof Aborted)) throw e;
          const record = run.record.steps.find((s) => s.id === step.id && (s.phase ?? 'steps') === 'steps');
          if (record && !DONE.has(record.status)) {
            record.status = 'failed';
            record.error = `cancelled: ${(group.signal.reason as Error).message}`;
            record.finished_at = iso(deps.clock.now());
          }
        }
      }),
    );
  } finally {
    run.branches -= steps.length - 1;
    signal.removeEventListener('abort', onAbort);
  }
  if (first) return first;
  await run.save();
  return { kind: 'completed' };
}
