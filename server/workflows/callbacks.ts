import { EventEmitter } from 'node:events';
import type { ReceivedCallback } from '../../plugins/sdk.ts';
import type { Clock } from '../clock.ts';
import type { Table, TableFactory } from '../store/table.ts';
import type { Workflow } from './definition.ts';
import type { CallbackWaits } from './engine-deps.ts';
import { FINISHED, type RunRecord, type RunStore } from './run-store.ts';
import { Aborted } from './waits.ts';

// Callback URLs (seed 000's pattern: hand a service a URL, carry on when it POSTs to it). Each run has
// an unguessable token; `/callbacks/<token>/<step>` belongs to one `wait.callback` step of the run. A
// callback is stored (one row per run and step, so a second one is refused) before it is acknowledged,
// whether the step waits already or not yet, and the step takes it when it waits: after a restart too.

type CallbackRow = ReceivedCallback & { id: string; run: string; step: string };

export type CallbackRefusal =
  | 'callback_not_found' // no run has that token, or the step is not a wait.callback step of its workflow
  | 'callback_run_finished'
  | 'callback_already_received';

export class CallbackError extends Error {
  readonly code: CallbackRefusal;
  constructor(code: CallbackRefusal, message: string) {
    super(message);
    this.code = code;
  }
}

export interface CallbackDeps {
  tables: TableFactory;
  runs: RunStore;
  clock: Clock;
  workflow(name: string): Workflow | undefined;
  /** The relay's URL as the calling services reach it (`workflows.publicUrl`, else where it listens). */
  baseUrl(): string;
  redact<T>(value: T): T;
}

const rowId = (run: string, step: string) => `${run}:${step}`;

export class CallbackStore implements CallbackWaits {
  readonly #deps: CallbackDeps;
  readonly #table: Table<CallbackRow>;
  readonly #arrived = new EventEmitter().setMaxListeners(0);
  #unsubscribe: (() => void) | null = null;

  constructor(deps: CallbackDeps) {
    this.#deps = deps;
    this.#table = deps.tables.table<CallbackRow>('workflow_callbacks', 'large');
  }

  async open(): Promise<void> {
    await this.#table.open();
    // Rows another instance stored (PostgreSQL): wake the waits here.
    this.#unsubscribe = this.#table.onChange((ids) => {
      for (const id of ids) this.#arrived.emit(id);
    });
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    await this.#table.close();
  }

  url(run: RunRecord, fromStep: string | null): string {
    const workflow = this.#deps.workflow(run.workflow);
    const steps = workflow?.steps ?? [];
    const from = Math.max(0, fromStep === null ? 0 : steps.findIndex((s) => s.id === fromStep));
    const next = steps.slice(from).find((s) => s.uses === 'wait.callback');
    // Runs made before callbacks existed get their token on first use (saved with the run's next write).
    run.callback_token ??= crypto.randomUUID().replaceAll('-', '');
    return `${this.#deps.baseUrl()}/callbacks/${run.callback_token}${next ? `/${next.id}` : ''}`;
  }

  /** Stores a callback durably; throws CallbackError when it is refused. */
  async receive(token: string, step: string, body: unknown, headers: Record<string, string>): Promise<CallbackRow> {
    const { runs } = this.#deps;
    let id = runs.byCallbackToken(token);
    if (id) await runs.refresh([id]);
    const run = id ? runs.get(id) : undefined;
    if (!run || run.callback_token !== token) throw new CallbackError('callback_not_found', 'No run waits on this callback URL.');
    id = run.id;
    const waitStep = this.#deps.workflow(run.workflow)?.steps.find((s) => s.id === step && s.uses === 'wait.callback');
    if (!waitStep) throw new CallbackError('callback_not_found', 'No run waits on this callback URL.');
    if (FINISHED.has(run.status)) throw new CallbackError('callback_run_finished', `The run has finished (${run.status}).`);
    const taken = run.steps.find((s) => s.id === step && s.status === 'succeeded');
    const row: CallbackRow = {
      id: rowId(id, step),
      run: id,
      step,
      body: this.#deps.redact(body),
      headers: this.#deps.redact(headers),
      received_at: new Date(this.#deps.clock.now()).toISOString(),
    };
    if (taken || (await this.#table.insertNew([row])).length === 0) {
      throw new CallbackError('callback_already_received', `Step "${step}" of this run has received its callback already.`);
    }
    this.#arrived.emit(row.id);
    return row;
  }

  wait(run: RunRecord, stepId: string, until: number, signal: AbortSignal): Promise<ReceivedCallback | null> {
    if (signal.aborted) return Promise.reject(new Aborted(signal.reason));
    const id = rowId(run.id, stepId);
    return new Promise((resolve, reject) => {
      const done = (value: ReceivedCallback | null, error?: unknown) => {
        this.#arrived.off(id, check);
        signal.removeEventListener('abort', onAbort);
        timer.clear();
        if (error) reject(error);
        else resolve(value);
      };
      const check = () => {
        const row = this.#table.get(id);
        if (row) done({ body: row.body, headers: row.headers, received_at: row.received_at });
      };
      const onAbort = () => done(null, new Aborted(signal.reason));
      const timer = this.#deps.clock.setTimeout(() => done(null), Math.max(0, until - this.#deps.clock.now()));
      this.#arrived.on(id, check);
      signal.addEventListener('abort', onAbort, { once: true });
      check();
      // Stored by another instance a moment ago: read the row as stored now.
      this.#table.refresh([id]).then(check, () => {});
    });
  }

  /** Deletes a finished run's callbacks (the step outputs keep what the run used). */
  async forget(run: RunRecord): Promise<void> {
    for (const step of this.#deps.workflow(run.workflow)?.steps ?? []) {
      if (step.uses === 'wait.callback' && this.#table.get(rowId(run.id, step.id)))
        await this.#table.delete(rowId(run.id, step.id));
    }
  }
}
