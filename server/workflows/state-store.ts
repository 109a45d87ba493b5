import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowState } from '../../plugins/sdk.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Table, TableFactory } from '../store/table.ts';

type StateRow = { id: string; workflow: string; namespace: string; entries: Record<string, unknown> };

/** Workflow names have no `/` (see the definition schema), so the id is unambiguous. */
const rowId = (workflow: string, namespace: string) => `${workflow}/${namespace}`;

/** Longest pause between two attempts to claim a namespace another instance is changing. */
const MAX_RETRY_MS = 100;

/**
 * Persistent key-value state per workflow and namespace (the state.put step). A namespace is one row,
 * replaced whole on each change. With several instances on one store, two runs changing the same
 * namespace at once would each write their own copy and lose the other's key; so a change is made
 * under the namespace's claim (`state:<row id>`), on the row as stored now, one change at a time.
 * That is also what lets a put see every earlier put in the entries it returns.
 */
export class StateStore {
  readonly #table: Table<StateRow>;
  readonly #cluster: Cluster;
  /** Changes per namespace row on this instance, one after another (a claim is per instance). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(tables: TableFactory, cluster: Cluster) {
    this.#table = tables.table<StateRow>('workflow_state', 'large');
    this.#cluster = cluster;
  }
  async open(): Promise<void> {
    await this.#table.open();
    // Rows were once keyed `workflow NUL namespace`; PostgreSQL text cannot hold NUL, so they move.
    for (const row of [...this.#table.values()]) {
      if (!row.id.includes('\u0000')) continue;
      await this.#table.put({ ...row, id: rowId(row.workflow, row.namespace) });
      await this.#table.delete(row.id);
    }
  }
  close(): Promise<void> {
    return this.#table.close();
  }

  forWorkflow(workflow: string): WorkflowState {
    const table = this.#table;
    const idOf = (namespace: string) => rowId(workflow, namespace);
    return {
      entries: (namespace) => ({ ...table.get(idOf(namespace))?.entries }),
      put: (namespace, key, value) =>
        this.#changing(idOf(namespace), async () => {
          const before = table.get(idOf(namespace))?.entries ?? {};
          const changed = JSON.stringify(before[key]) !== JSON.stringify(value);
          const entries = { ...before, [key]: value };
          // The in-memory row changes before the write: a concurrent put sees this value, not the old one.
          await table.put({ id: idOf(namespace), workflow, namespace, entries });
          return { changed, entries };
        }),
      clear: (namespace) =>
        this.#changing(idOf(namespace), async () => {
          await table.delete(idOf(namespace));
        }),
    };
  }

  /** Runs a change of one namespace row; with other instances, under its claim and on the fresh row. */
  #changing<T>(id: string, change: () => Promise<T>): Promise<T> {
    if (!this.#cluster.shared) return change();
    const previous = this.#queues.get(id) ?? Promise.resolve();
    const result = previous.then(() => this.#claimed(id, change));
    const tail = result.catch(() => {});
    this.#queues.set(id, tail);
    tail.then(() => {
      if (this.#queues.get(id) === tail) this.#queues.delete(id);
    });
    return result;
  }

  async #claimed<T>(id: string, change: () => Promise<T>): Promise<T> {
    const key = `state:${id}`;
    // Bounded: a holder that died is replaced after the lease, so twice the lease (and a little) is enough.
    const deadline = Date.now() + 2 * this.#cluster.leaseMs + 5000;
    for (let pause = 5; (await this.#cluster.claim([key])).length === 0; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      if (Date.now() > deadline) throw new Error('workflow state: another instance kept this namespace locked');
      await sleep(pause);
    }
    try {
      await this.#table.refresh([id]);
      return await change();
    } finally {
      // Not released (the database is unreachable): this instance still holds it and claims it again.
      await this.#cluster.release([key]).catch(() => {});
    }
  }
}
