import { createHash } from 'node:crypto';
import { base32OfBytes, idTimeDigits } from '../ids.ts';
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
  /** The step's `with` as evaluated (deferred fields by name), bounded and redacted like `output`. */
  input?: unknown;
  /** Bounded: see `limits.outputBytes`; larger outputs are kept as a truncated preview. */
  output?: unknown;
  error?: string | null;
  /** While waiting: when the step wakes (delay) or gives up (wait.event). */
  wake_at?: string | null;
  /** Which list the step belongs to. */
  phase?: 'steps' | 'onError';
  /** foreach: one record per item, in order. */
  items?: ItemRecord[];
  /** The `parallel:` group this step is a branch of. */
  group?: string;
  /** wait.callback: the URL the step waits on, and whether it still waits. */
  callback_url?: string;
  waiting?: boolean;
  /** workflow.call: the child run. */
  child_run?: string;
}

export type ItemStatus = 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed';

/** One item of a foreach step: run with its own retries; only unfinished items run again after a restart. */
export interface ItemRecord {
  index: number;
  status: ItemStatus;
  output: unknown;
  error: string | null;
  /** Set for failures that have one (`expression_timeout`). */
  code?: string;
  attempts: number;
  started_at: string | null;
  ended_at: string | null;
  wake_at?: string | null;
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
  /** `code`: set for failures that have one (`expression_timeout`). */
  error?: { step: string; message: string; code?: string } | null;
  steps: StepRecord[];
  scratch?: Record<string, unknown>;
  /** The run's output once it succeeded: its top-level `output:`, or its last step's output. */
  output?: unknown;
  /** A run started by a `workflow.call` step: what the child sees as `input`, and who called it. */
  input?: unknown;
  parent?: { run: string; step: string } | null;
  /** The secret part of the run's callback URLs (see wait.callback). */
  callback_token?: string;
  /** A scheduled run: the tick it was made for. */
  scheduled_at?: string;
}

export interface RunStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): RunRecord | undefined;
  /**
   * Shows a run in reads before its first write (one process only: a triggered run, which the trigger
   * replay makes again if the relay dies before its first save). The first save() writes it.
   */
  hold(run: RunRecord): void;
  /** The oldest trigger event among held runs (not yet written): the trigger cursor stays at or before it. */
  oldestHeldTrigger(): string | null;
  save(run: RunRecord): Promise<void>;
  /** Runs of a workflow, newest first. */
  list(query: { workflow?: string; status?: RunStatus; limit: number; before?: string }): RunRecord[];
  /** Every run started on a stored event (triggered, manual or re-run), oldest first. */
  forEvent(eventId: string): RunRecord[];
  /** Runs that have not finished: resumed at start-up. */
  unfinished(): RunRecord[];
  /**
   * Inserts a run unless a row with its id is stored (another instance made it first); resolves true
   * when this call inserted it.
   */
  insertNew(run: RunRecord): Promise<boolean>;
  /** Re-reads runs as stored now (after claiming runs another instance held); no-op in one process. */
  refresh(ids: readonly string[]): Promise<void>;
  /** Runs another instance changed or deleted (after reads show the change); never called in one process. */
  onChange(listener: (ids: readonly string[]) => void): () => void;
  /** The run whose callback URLs carry this token. */
  byCallbackToken(token: string): string | undefined;
  /** The run a trigger event already started for a workflow, if any (keeps triggering idempotent). */
  triggeredBy(workflow: string, eventId: string): string | undefined;
  /**
   * Deletes the oldest finished runs beyond `keep`; returns how many went. Runs triggered by events
   * after `spare.after` are spared (a restart replays those events, and would make again a run it no
   * longer finds), up to `spare.max` of them beyond `keep`; past that the oldest go regardless.
   */
  prune(keep: number, spare?: { after: string | null; max: number }): Promise<number>;
  /** The trigger cursor: the newest event id whose runs have been made (and written, see oldestHeldTrigger). */
  cursor(): string | null;
  saveCursor(eventId: string): Promise<void>;
  /** Re-reads the cursor as stored now (a new trigger leader starts from the last one's). */
  refreshCursor(): Promise<void>;
}

type CursorRow = { id: string; event_id: string };

const PRUNE_CHUNK = 250;

/**
 * The id of the run an event triggers for a workflow: the same on every instance, so two instances
 * that both handle the event (a trigger leader and the one taking over from it) make one run. It sorts
 * with ordinary ids by the event's time: the 10 time digits of the event id, then 12 digits of a hash.
 */
export function triggeredRunId(workflow: string, eventId: string): string {
  const hash = createHash('sha256').update(workflow).update('\u0000').update(eventId).digest();
  return `run_${idTimeDigits(eventId)}${base32OfBytes(hash, 12)}`;
}

export class TableRunStore implements RunStore {
  readonly #runs: Table<RunRecord>;
  readonly #meta: Table<CursorRow>;
  readonly #byTrigger = new Map<string, string>();
  /** The trigger key each indexed run is under (to unindex a run another instance deleted). */
  readonly #triggerOf = new Map<string, string>();
  readonly #finished = new Set<string>();
  /** event id → the runs started on it. */
  readonly #ofEvent = new Map<string, Set<string>>();
  readonly #eventOf = new Map<string, string>();
  readonly #byToken = new Map<string, string>();
  readonly #tokenOf = new Map<string, string>();
  /** Runs shown before their first write (see hold). */
  readonly #held = new Map<string, RunRecord>();

  constructor(tables: TableFactory) {
    this.#runs = tables.table<RunRecord>('workflow_runs', 'large');
    this.#meta = tables.table<CursorRow>('workflow_cursor', 'small');
  }

  async open(): Promise<void> {
    await this.#runs.open();
    await this.#meta.open();
    for (const run of this.#runs.values()) this.#index(run);
    // Rows other instances wrote or deleted (PostgreSQL): keep the indexes in step with the cache.
    this.#runs.onChange((ids) => {
      for (const id of ids) {
        const run = this.#runs.get(id);
        if (run) this.#index(run);
        else this.#unindex(id);
      }
    });
  }

  async close(): Promise<void> {
    await this.#runs.close();
    await this.#meta.close();
  }

  #index(run: RunRecord): void {
    if (run.trigger_event_id && !run.rerun_of && run.event === undefined && !this.#triggerOf.has(run.id)) {
      const key = `${run.workflow}\u0000${run.trigger_event_id}`;
      this.#byTrigger.set(key, run.id);
      this.#triggerOf.set(run.id, key);
    }
    if (FINISHED.has(run.status)) this.#finished.add(run.id);
    else this.#finished.delete(run.id);
    if (run.trigger_event_id) {
      const ids = this.#ofEvent.get(run.trigger_event_id);
      if (ids) ids.add(run.id);
      else this.#ofEvent.set(run.trigger_event_id, new Set([run.id]));
      this.#eventOf.set(run.id, run.trigger_event_id);
    }
    if (run.callback_token && !this.#tokenOf.has(run.id)) {
      this.#byToken.set(run.callback_token, run.id);
      this.#tokenOf.set(run.id, run.callback_token);
    }
  }

  #unindex(id: string): void {
    const key = this.#triggerOf.get(id);
    if (key !== undefined && this.#byTrigger.get(key) === id) this.#byTrigger.delete(key);
    this.#triggerOf.delete(id);
    this.#finished.delete(id);
    const eventId = this.#eventOf.get(id);
    this.#eventOf.delete(id);
    const ids = eventId === undefined ? undefined : this.#ofEvent.get(eventId);
    if (ids?.delete(id) && ids.size === 0) this.#ofEvent.delete(eventId as string);
    const token = this.#tokenOf.get(id);
    if (token !== undefined) this.#byToken.delete(token);
    this.#tokenOf.delete(id);
  }

  byCallbackToken(token: string): string | undefined {
    return this.#byToken.get(token);
  }

  get(id: string): RunRecord | undefined {
    return this.#runs.get(id) ?? this.#held.get(id);
  }

  hold(run: RunRecord): void {
    this.#held.set(run.id, run);
    this.#index(run);
  }

  oldestHeldTrigger(): string | null {
    let oldest: string | null = null;
    for (const run of this.#held.values()) {
      const id = run.trigger_event_id;
      if (id !== null && (oldest === null || id < oldest)) oldest = id;
    }
    return oldest;
  }

  async save(run: RunRecord): Promise<void> {
    this.#index(run);
    const put = this.#runs.put(run);
    // The table shows the row from here on (before the write lands).
    this.#held.delete(run.id);
    await put;
  }

  async insertNew(run: RunRecord): Promise<boolean> {
    const inserted = await this.#runs.insertNew([run]);
    if (inserted.length > 0) this.#index(run);
    return inserted.length > 0;
  }

  refresh(ids: readonly string[]): Promise<void> {
    return this.#runs.refresh(ids);
  }

  onChange(listener: (ids: readonly string[]) => void): () => void {
    return this.#runs.onChange(listener);
  }

  list(query: { workflow?: string; status?: RunStatus; limit: number; before?: string }): RunRecord[] {
    // Every match, then the newest: a triggered run is first written when it finishes (or reaches a
    // step boundary), so the table's order is not the runs' order.
    const out: RunRecord[] = [];
    for (const run of this.#all()) {
      if (query.workflow && run.workflow !== query.workflow) continue;
      if (query.status && run.status !== query.status) continue;
      if (query.before && run.id >= query.before) continue;
      out.push(run);
    }
    return out.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, query.limit);
  }

  forEvent(eventId: string): RunRecord[] {
    const runs: RunRecord[] = [];
    for (const id of this.#ofEvent.get(eventId) ?? []) {
      const run = this.get(id);
      if (run) runs.push(run);
    }
    return runs.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  unfinished(): RunRecord[] {
    return [...this.#all()].filter((run) => !FINISHED.has(run.status));
  }

  *#all(): Generator<RunRecord> {
    yield* this.#runs.values();
    for (const run of this.#held.values()) if (!this.#runs.get(run.id)) yield run;
  }

  triggeredBy(workflow: string, eventId: string): string | undefined {
    const id = triggeredRunId(workflow, eventId);
    if (this.get(id)) return id;
    return this.#byTrigger.get(`${workflow}\u0000${eventId}`);
  }

  async prune(keep: number, spare: { after: string | null; max: number } = { after: null, max: 0 }): Promise<number> {
    const excess = this.#finished.size - keep;
    if (excess <= 0) return 0;
    const doomed: RunRecord[] = [];
    const spared: RunRecord[] = [];
    for (const run of this.#runs.values()) {
      if (doomed.length >= excess) break;
      if (!FINISHED.has(run.status)) continue;
      const replayed = spare.after !== null && run.trigger_event_id !== null && run.trigger_event_id > spare.after;
      (replayed ? spared : doomed).push(run);
    }
    const over = this.#finished.size - doomed.length - keep - spare.max;
    if (over > 0) doomed.push(...spared.slice(0, over));
    // Deletes issued together share one write and one fsync (group commit), a chunk at a time; a small
    // chunk keeps each synchronous stretch short for the requests being served meanwhile.
    for (let i = 0; i < doomed.length; i += PRUNE_CHUNK) {
      const chunk = doomed.slice(i, i + PRUNE_CHUNK);
      await Promise.all(chunk.map((run) => this.#runs.delete(run.id)));
      for (const run of chunk) this.#unindex(run.id);
    }
    return doomed.length;
  }

  cursor(): string | null {
    return this.#meta.get('trigger')?.event_id ?? null;
  }

  async saveCursor(eventId: string): Promise<void> {
    await this.#meta.put({ id: 'trigger', event_id: eventId });
  }

  refreshCursor(): Promise<void> {
    return this.#meta.refresh(['trigger']);
  }
}
