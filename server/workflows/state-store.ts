import type { WorkflowState } from '../../plugins/sdk.ts';
import type { Table, TableFactory } from '../store/table.ts';

type StateRow = { id: string; workflow: string; namespace: string; entries: Record<string, unknown> };

/** Persistent key-value state per workflow and namespace (the state.put step). */
export class StateStore {
  readonly #table: Table<StateRow>;
  constructor(tables: TableFactory) {
    this.#table = tables.table<StateRow>('workflow_state', 'large');
  }
  open(): Promise<void> {
    return this.#table.open();
  }
  close(): Promise<void> {
    return this.#table.close();
  }

  forWorkflow(workflow: string): WorkflowState {
    const table = this.#table;
    const idOf = (namespace: string) => `${workflow}\u0000${namespace}`;
    return {
      entries: (namespace) => ({ ...table.get(idOf(namespace))?.entries }),
      async put(namespace, key, value) {
        const before = table.get(idOf(namespace))?.entries ?? {};
        const changed = JSON.stringify(before[key]) !== JSON.stringify(value);
        const entries = { ...before, [key]: value };
        // The in-memory row changes before the write: a concurrent put sees this value, not the old one.
        await table.put({ id: idOf(namespace), workflow, namespace, entries });
        return { changed, entries };
      },
      async clear(namespace) {
        await table.delete(idOf(namespace));
      },
    };
  }
}
