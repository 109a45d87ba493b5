import type { Workflow } from './definition.ts';
import type { WorkflowFileState } from './registry.ts';
import type { RunRecord } from './run-store.ts';

/** The API's view of one workflow file: what is in force, and what is wrong with the file on disk. */
export function workflowView(state: WorkflowFileState, counts: (name: string) => { running: number; queued: number }) {
  const w = state.workflow;
  const errors = state.problems.map((p) => `${state.file}:${p.line}:${p.col}: ${p.message}`);
  return {
    object: 'workflow',
    name: w?.name ?? null,
    file: state.file,
    valid: state.problems.length === 0,
    /** True when an invalid file still serves its last good version. */
    serving_last_good: state.problems.length > 0 && w !== null,
    error: errors[0] ?? null,
    errors,
    loaded_at: state.loadedAt,
    ...(w ? definitionView(w) : {}),
    ...(w ? counts(w.name) : {}),
  };
}

function definitionView(w: Workflow) {
  return {
    on: w.trigger ? { source: w.trigger.source, type: w.trigger.types, if: w.trigger.condition !== null } : null,
    schedule: w.schedule
      ? { cron: w.schedule.cron, timezone: w.schedule.timezone, every: w.schedule.every, missed: w.schedule.missed }
      : null,
    concurrency: w.concurrency,
    steps: w.steps.map((s) => ({ id: s.id, uses: s.uses, group: s.group, foreach: s.foreach !== null })),
    on_error: w.onError.map((s) => ({ id: s.id, uses: s.uses })),
    source_text: w.text,
  };
}

export function runView(run: RunRecord) {
  const { scratch: _scratch, ...rest } = run;
  return { object: 'workflow.run', ...rest };
}

/** Lists skip step outputs: a page of runs stays small. */
export function runSummary(run: RunRecord) {
  return {
    ...runView(run),
    steps: run.steps.map(({ output: _output, ...step }) => step),
  };
}

/** The `id`s of the objects a run's steps output (a created response, a batch's results): `resp_…`, `batch_…`. */
export function stepObjectIds(run: RunRecord): string[] {
  const ids: string[] = [];
  for (const step of run.steps) {
    const id = (step.output as { id?: unknown } | null | undefined)?.id;
    if (typeof id === 'string' && /^(resp|batch)_/.test(id)) ids.push(id);
  }
  return ids;
}
