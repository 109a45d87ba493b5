import type { RelayEvent } from '../store/types.ts';
import type { Workflow } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { type ActiveRun, executeRun } from './executor.ts';
import { FINISHED, type RunRecord, type StepRecord } from './run-store.ts';
import { StopSignal } from './waits.ts';

// Starts, resumes, cancels and re-runs runs. Every unfinished run lives here as an ActiveRun with its
// own AbortController; the run store is the durable copy that start-up resumes from.

export interface StartOptions {
  /** A stored event (its id is kept on the run). */
  event?: RelayEvent;
  /** An event given inline to a manual run (kept on the run itself). */
  inline?: unknown;
  chainDepth?: number;
  rerunOf?: string;
}

export class RunEngine {
  readonly #deps: EngineDeps;
  readonly #active = new Map<string, { run: ActiveRun; done: Promise<void> }>();
  readonly #newId: (prefix: string) => string;

  constructor(deps: EngineDeps, newId: (prefix: string) => string) {
    this.#deps = deps;
    this.#newId = newId;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** Creates and saves a run, then executes it in the background; resolves once the run is durable. */
  async start(workflow: Workflow, options: StartOptions): Promise<RunRecord> {
    const now = new Date(this.#deps.clock.now()).toISOString();
    const record: RunRecord = {
      id: this.#newId('run'),
      workflow: workflow.name,
      status: 'queued',
      trigger_event_id: options.event?.id ?? null,
      chain_depth: options.chainDepth ?? 0,
      rerun_of: options.rerunOf ?? null,
      created_at: now,
      started_at: null,
      finished_at: null,
      error: null,
      steps: [],
    };
    if (options.inline !== undefined) record.event = options.inline;
    // The first step starts while the run's first write is on its way to disk: a crash before it lands
    // loses nothing, since the trigger cursor only passes this event once start() resolves, and the
    // replay then starts the run again (at-least-once, as for any step).
    const saved = this.#deps.runs.save(record);
    this.#launch(record, workflow, options.event ?? options.inline ?? null);
    await saved;
    return record;
  }

  /** Picks up a run that was unfinished when the relay stopped, from its first unfinished step. */
  resume(record: RunRecord, workflow: Workflow, event: unknown): void {
    if (this.#active.has(record.id)) return;
    this.#launch(record, workflow, event);
  }

  #launch(record: RunRecord, workflow: Workflow, event: unknown): void {
    const run = this.#activeRun(record, workflow, event);
    const done = executeRun(this.#deps, run)
      .catch((err: unknown) => this.#deps.logger.error({ err, run: record.id }, 'run failed unexpectedly'))
      .finally(() => this.#active.delete(record.id));
    this.#active.set(record.id, { run, done });
  }

  #activeRun(record: RunRecord, workflow: Workflow, event: unknown): ActiveRun {
    const deps = this.#deps;
    const run: ActiveRun = {
      record,
      workflow,
      event,
      controller: new AbortController(),
      save: () => deps.runs.save(record),
      async whileWaiting<T>(step: StepRecord, wakeAt: number, wait: () => Promise<T>): Promise<T> {
        step.status = 'waiting';
        step.wake_at = new Date(wakeAt).toISOString();
        record.status = 'waiting';
        await deps.runs.save(record);
        deps.slots.release(workflow.name);
        try {
          return await wait();
        } finally {
          // Aborted (cancel or stop): take the slot regardless so the executor's release stays balanced.
          const limit = run.controller.signal.aborted ? null : workflow.concurrency;
          await deps.slots.acquire(workflow.name, limit, new AbortController().signal);
          if (record.status === 'waiting') record.status = 'running';
          if (step.status === 'waiting') step.status = 'running';
        }
      },
    };
    return run;
  }

  /** Cancels a run: aborts its running step's signal. Returns the run, or null when it had finished. */
  async cancel(id: string): Promise<RunRecord | null> {
    const record = this.#deps.runs.get(id);
    if (!record || FINISHED.has(record.status)) return null;
    const active = this.#active.get(id);
    if (active) {
      active.run.controller.abort(new Error('cancelled'));
      await active.done;
      return active.run.record;
    }
    record.status = 'cancelled';
    record.finished_at = new Date(this.#deps.clock.now()).toISOString();
    await this.#deps.runs.save(record);
    return record;
  }

  /** Resolves when every active run has settled (used by stop after aborting them). */
  async stop(): Promise<void> {
    // Runs are not cancelled on stop: they stay unfinished in the store and resume on the next start.
    for (const { run } of this.#active.values()) run.controller.abort(new StopSignal());
    await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  /** Waits for a run that is executing here to settle (tests and the CLI use it). */
  settled(id: string): Promise<void> {
    return this.#active.get(id)?.done ?? Promise.resolve();
  }
}
