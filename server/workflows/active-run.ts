import type { Workflow } from './definition.ts';
import type { RunRecord, RunStatus, StepRecord } from './run-store.ts';

// What the executor, the modules it runs steps with (attempts, foreach, parallel) and the step context
// share about a run being executed.

/** A step record, or a foreach item's: what shows a wait. */
export interface Waitable {
  status: string;
  wake_at?: string | null;
}

/** What a running step can do to its run: save it, give up and take back its concurrency slot. */
export interface RunHandle {
  record: RunRecord;
  save(): Promise<void>;
  /** Releases the concurrency slot for the duration of `wait` and marks the run waiting meanwhile. */
  whileWaiting<T>(target: Waitable, wakeAt: number | null, wait: () => Promise<T>): Promise<T>;
}

/** What an attempt runs for: a step, or one item of a foreach step (its own attempts and start time). */
export interface AttemptTarget {
  /** The step id, or `id[index]` for an item: in emitted events' ids and in logs. */
  key: string;
  step: StepRecord;
  record: Waitable & { attempts: number; started_at: string | null; error?: string | null };
}

export type Outcome =
  | { kind: 'completed' }
  | { kind: 'ended'; status: RunStatus }
  | { kind: 'failed'; step: string; message: string; code?: string };

export interface ActiveRun extends RunHandle {
  workflow: Workflow;
  controller: AbortController;
  /** The trigger event as expressions see it. */
  event: unknown;
  /** Rejects once the run's signal aborts: made on first use, shared by its attempts without a timeout. */
  aborted?: Promise<never>;
  /** Steps or items executing at once (foreach, parallel): above 1, a wait keeps the run's slot. */
  branches: number;
}

export const DONE = new Set(['succeeded', 'skipped', 'filtered']);
let lastMs = Number.NaN;
let lastIso = '';
/** Timestamps on runs: several per run within the same millisecond, so the last one is reused. */
export function iso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
