import type { Table, TableFactory } from '../store/table.ts';

// Runs and their steps, behind a small domain interface so a PostgreSQL store can replace the table
// without touching the engine. Rows are replaced whole on each change (one line each in the log table).

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'filtered' | 'cancelled';
export type StepStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'filtered';

export const FINISHED: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'filtered', 'cancelled']);

export interface StepRecord {
  id: string;
  uses: string;
  status: StepStatus;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  /** Bounded: see `limits.outputBytes`; larger outputs are kept as a truncated preview. */
  output?: unknown;
  error?: string | null;
  /** While waiting: when the step wakes (delay) or gives up (wait.event). */
  wake_at?: string | null;
  /** Which list the step belongs to. */
  phase?: 'steps' | 'onError';
}

export interface RunRecord {
  id: string;
  workflow: string;
  status: RunStatus;
  trigger_event_id: string | null;
  /** The event of a manual run given inline (not stored in the event store). */
  event?: unknown;
  /** How many emit hops led to this run (0 for external events). */
  chain_depth: number;
  rerun_of?: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error?: { step: string; message: string } | null;
  steps: StepRecord[];
  scratch?: Record<string, unknown>;
}

export interface RunStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): RunRecord | undefined;
  save(run: RunRecord): Promise<void>;
  /** Runs of a workflow, newest first. */
  list(query: { workflow?: string; status?: RunStatus; limit: number; before?: string }): RunRecord[];
  /** Runs that have not finished: resumed at start-up. */
  unfinished(): RunRecord[];
  /** The run a trigger event already started for a workflow, if any (keeps triggering idempotent). */
  triggeredBy(workflow: string, eventId: string): string | undefined;
  /** Deletes the oldest finished runs beyond `keep`; returns how many went. */
  prune(keep: number): Promise<number>;
  /** The trigger cursor: the newest event id whose runs have been created. */
  cursor(): string | null;
  saveCursor(eventId: string): Promise<void>;
}

type CursorRow = { id: string; event_id: string };

const PRUNE_CHUNK = 250;

export class TableRunStore implements RunStore {
  readonly #runs: Table<RunRecord>;
  readonly #meta: Table<CursorRow>;
  readonly #byTrigger = new Map<string, string>();
  #finished = 0;

  constructor(tables: TableFactory) {
    this.#runs = tables.table<RunRecord>('workflow_runs', 'large');
    this.#meta = tables.table<CursorRow>('workflow_cursor', 'small');
  }

  async open(): Promise<void> {
    await this.#runs.open();
    await this.#meta.open();
    for (const run of this.#runs.values()) this.#index(run);
  }

  async close(): Promise<void> {
    await this.#runs.close();
    await this.#meta.close();
  }

  #index(run: RunRecord): void {
    if (run.trigger_event_id && !run.rerun_of && run.event === undefined) {
      this.#byTrigger.set(`${run.workflow}\u0000${run.trigger_event_id}`, run.id);
    }
    if (FINISHED.has(run.status)) this.#finished++;
  }

  get(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  async save(run: RunRecord): Promise<void> {
    const before = this.#runs.get(run.id);
    if (before && FINISHED.has(before.status)) this.#finished--;
    this.#index(run);
    await this.#runs.put(run);
  }

  list(query: { workflow?: string; status?: RunStatus; limit: number; before?: string }): RunRecord[] {
    const out: RunRecord[] = [];
    const all = [...this.#runs.values()];
    for (let i = all.length - 1; i >= 0 && out.length < query.limit; i--) {
      const run = all[i];
      if (query.workflow && run.workflow !== query.workflow) continue;
      if (query.status && run.status !== query.status) continue;
      if (query.before && run.id >= query.before) continue;
      out.push(run);
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : -1));
  }

  unfinished(): RunRecord[] {
    return [...this.#runs.values()].filter((run) => !FINISHED.has(run.status));
  }

  triggeredBy(workflow: string, eventId: string): string | undefined {
    return this.#byTrigger.get(`${workflow}\u0000${eventId}`);
  }

  async prune(keep: number): Promise<number> {
    const excess = this.#finished - keep;
    if (excess <= 0) return 0;
    const doomed: RunRecord[] = [];
    for (const run of this.#runs.values()) {
      if (doomed.length >= excess) break;
      if (FINISHED.has(run.status)) doomed.push(run);
    }
    // Deletes issued together share one write and one fsync (group commit), a chunk at a time; a small
    // chunk keeps each synchronous stretch short for the requests being served meanwhile.
    for (let i = 0; i < doomed.length; i += PRUNE_CHUNK) {
      const chunk = doomed.slice(i, i + PRUNE_CHUNK);
      await Promise.all(chunk.map((run) => this.#runs.delete(run.id)));
      for (const run of chunk) {
        if (run.trigger_event_id) this.#byTrigger.delete(`${run.workflow}\u0000${run.trigger_event_id}`);
      }
    }
    this.#finished -= doomed.length;
    return doomed.length;
  }

  cursor(): string | null {
    return this.#meta.get('trigger')?.event_id ?? null;
  }

  async saveCursor(eventId: string): Promise<void> {
    await this.#meta.put({ id: 'trigger', event_id: eventId });
  }
}
