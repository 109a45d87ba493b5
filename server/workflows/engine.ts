import { performance } from 'node:perf_hooks';
import type { RelayEvent } from '../store/types.ts';
import type { Workflow } from './definition.ts';
import type { EngineDeps } from './engine-deps.ts';
import { randomBytes } from 'node:crypto';
import { executeRun } from './executor.ts';
import { FINISHED, type RunRecord, triggeredRunId } from './run-store.ts';
import type { ActiveRun, Waitable } from './active-run.ts';
import { Aborted, StopSignal } from './waits.ts';

// Starts, resumes, cancels and re-runs runs. Every unfinished run lives here as an ActiveRun with its
// own AbortController; the run store is the durable copy that start-up resumes from. With several
// instances on one store, a run is claimed (`run:<id>`) before its first write and executed by the
// instance holding the claim, which releases it once the run has settled.

/** The cluster claim key of a run. */
export const runKey = (id: string) => `run:${id}`;

export interface StartOptions {
  /** A stored event (its id is kept on the run). */
  event?: RelayEvent;
  /** An event given inline to a manual run (kept on the run itself). */
  inline?: unknown;
  chainDepth?: number;
  rerunOf?: string;
  /** A run id decided by the caller (a child run, a scheduled tick): start() makes it at most once. */
  id?: string;
  /** A child run: what it sees as `input`, and the step that called it. */
  input?: unknown;
  parent?: { run: string; step: string };
  /** A scheduled run: its tick. */
  scheduledAt?: string;
}

export class RunEngine {
  readonly #deps: EngineDeps;
  readonly #active = new Map<string, { run: ActiveRun; done: Promise<void> }>();
  readonly #newId: (prefix: string) => string;
  readonly #finished = new Set<(record: RunRecord) => void>();

  constructor(deps: EngineDeps, newId: (prefix: string) => string) {
    this.#deps = deps;
    this.#newId = newId;
  }

  get activeCount(): number {
    return this.#active.size;
  }

  /** True while the run executes (or waits) on this instance. */
  isActive(id: string): boolean {
    return this.#active.has(id);
  }

  /** Calls `listener` with each run that finishes on this instance. */
  onFinished(listener: (record: RunRecord) => void): () => void {
    this.#finished.add(listener);
    return () => this.#finished.delete(listener);
  }

  /**
   * Creates and saves a run, then executes it in the background; resolves once the run is durable.
   * With `options.id`, a run stored with that id already is returned as it is (made once).
   */
  async start(workflow: Workflow, options: StartOptions): Promise<RunRecord> {
    const record = this.#newRecord(options.id ?? this.#newId('run'), workflow, options);
    const claimedAt = performance.now();
    if (options.id) {
      await this.#deps.runs.refresh([options.id]);
      const existing = this.#deps.runs.get(options.id);
      if (existing) return existing;
      // Another instance may make the same run at the same moment: the insert decides.
      if ((await this.#deps.cluster.claim([runKey(record.id)])).length === 0) return record;
      if (!(await this.#deps.runs.insertNew(record))) {
        await this.#deps.cluster.release([runKey(record.id)]);
        return this.#deps.runs.get(record.id) ?? record;
      }
      this.#launch(record, workflow, options.event ?? options.inline ?? null, claimedAt);
      return record;
    }
    // A new id: no other instance can hold it, so the claim is granted.
    await this.#deps.cluster.claim([runKey(record.id)]);
    // The first step starts while the run's first write is on its way to disk: a crash before it lands
    // loses nothing, since the trigger cursor only passes this event once start() resolves, and the
    // replay then starts the run again (at-least-once, as for any step).
    const saved = this.#deps.runs.save(record);
    this.#launch(record, workflow, options.event ?? options.inline ?? null, claimedAt);
    await saved;
    return record;
  }

  /**
   * Starts the run an event triggers for a workflow. Its id is the same on every instance, so when two
   * instances handle the event (a trigger leader and the one that took over from it) one makes the
   * run and the other resolves null.
   */
  async trigger(workflow: Workflow, event: RelayEvent, chainDepth: number): Promise<RunRecord | null> {
    const record = this.#newRecord(triggeredRunId(workflow.name, event.id), workflow, { event, chainDepth });
    if (!this.#deps.cluster.shared) {
      // One process: the trigger has already checked that no run exists. The run is shown at once and
      // first written when a step finishes, it waits, or it ends: the trigger cursor stays at or before
      // its event until then, so if the relay dies first the replay makes the run again from its event.
      this.#deps.runs.hold(record);
      this.#launch(record, workflow, event, Number.NEGATIVE_INFINITY);
      return record;
    }
    const key = runKey(record.id);
    const claimedAt = performance.now();
    if ((await this.#deps.cluster.claim([key])).length === 0) return null;
    if (this.#active.has(record.id)) return null;
    if (!(await this.#deps.runs.insertNew(record))) {
      // Made before (and finished, or held by an instance that died: the takeover sweep resumes it).
      await this.#deps.cluster.release([key]);
      return null;
    }
    this.#launch(record, workflow, event, claimedAt);
    return record;
  }

  #newRecord(id: string, workflow: Workflow, options: StartOptions): RunRecord {
    const now = new Date(this.#deps.clock.now()).toISOString();
    const record: RunRecord = {
      id,
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
      callback_token: randomBytes(18).toString('base64url'),
    };
    if (options.inline !== undefined) record.event = options.inline;
    if (options.parent) record.parent = options.parent;
    if (options.parent || options.input !== undefined) record.input = options.input ?? null;
    if (options.scheduledAt) record.scheduled_at = options.scheduledAt;
    return record;
  }

  /**
   * Picks up a run that was unfinished when the relay stopped, from its first unfinished step. When
   * it was claimed is not known here, so with other instances its claim is asserted again at its first write.
   */
  resume(record: RunRecord, workflow: Workflow, event: unknown): void {
    if (this.#active.has(record.id)) return;
    this.#launch(record, workflow, event, Number.NEGATIVE_INFINITY);
  }

  /** `claimedAt`: the `performance.now()` before the run's claim statement was sent. */
  #launch(record: RunRecord, workflow: Workflow, event: unknown, claimedAt: number): void {
    const run = this.#activeRun(record, workflow, event, claimedAt);
    const { cluster, logger } = this.#deps;
    const done = executeRun(this.#deps, run)
      .catch((err: unknown) => logger.error({ err, run: record.id }, 'run failed unexpectedly'))
      .finally(() => {
        this.#active.delete(record.id);
        if (FINISHED.has(record.status)) for (const listener of this.#finished) listener(record);
        // One process: no claim to give back.
        if (!cluster.shared) return;
        // Finished and written, or left unfinished by stop: either way another instance may take it now.
        return cluster
          .release([runKey(record.id)])
          .catch((err: unknown) => logger.error({ err, run: record.id }, 'could not release a run'));
      });
    this.#active.set(record.id, { run, done });
  }

  #activeRun(record: RunRecord, workflow: Workflow, event: unknown, claimedAt: number): ActiveRun {
    const deps = this.#deps;
    const stillHeld = deps.cluster.shared ? this.#stillHeld(record, claimedAt) : held;
    const run: ActiveRun = {
      record,
      workflow,
      event,
      controller: new AbortController(),
      branches: 1,
      // One process: nothing to check, and no extra step on the path every run takes.
      save: deps.cluster.shared
        ? async () => {
            if (!(await stillHeld())) stopHere(run);
            await deps.runs.save(record);
          }
        : () => deps.runs.save(record),
      async whileWaiting<T>(step: Waitable, wakeAt: number | null, wait: () => Promise<T>): Promise<T> {
        step.status = 'waiting';
        step.wake_at = wakeAt === null ? null : new Date(wakeAt).toISOString();
        if (run.branches > 1) {
          // Other steps or items of the run execute meanwhile: the run keeps its slot.
          await run.save();
          try {
            return await wait();
          } finally {
            if (step.status === 'waiting') step.status = 'running';
          }
        }
        record.status = 'waiting';
        await run.save();
        deps.slots.release(workflow.name);
        try {
          const result = await wait();
          // Woken after a long wait: this relay may have stalled meanwhile and lost the run to another.
          if (!(await stillHeld())) stopHere(run);
          return result;
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

  /**
   * With other instances: whether this one still holds the run. Asked of the store only when this
   * instance's heartbeats cannot vouch for the claim (cluster heldUntil: after a stall, another
   * instance may have taken the run over): then the claim is asserted anew and the row re-read
   * (another instance may have finished the run and let go of it).
   */
  #stillHeld(record: RunRecord, claimedAt: number): () => Promise<boolean> {
    const { cluster, runs, logger } = this.#deps;
    let askedAt = claimedAt;
    return async () => {
      if (!cluster.shared || performance.now() < cluster.heldUntil(askedAt)) return true;
      const asking = performance.now();
      const held = (await cluster.claim([runKey(record.id)])).length > 0;
      if (held) await runs.refresh([record.id]);
      const stored = runs.get(record.id);
      if (!held || !stored || FINISHED.has(stored.status)) {
        logger.warn({ run: record.id }, 'another instance took this run over while this one stalled; leaving it');
        return false;
      }
      askedAt = asking;
      return true;
    };
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

/** One process: every run is this instance's. */
const held = async () => true;

/** Ends a run here without writing it (another instance holds it now), as a stop does. */
function stopHere(run: ActiveRun): never {
  run.controller.abort(new StopSignal());
  throw new Aborted(run.controller.signal.reason);
}
