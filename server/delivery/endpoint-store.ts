import type { Table, TableFactory } from '../store/table.ts';
import type { EndpointRow } from './types.ts';

/** Endpoints are configuration-like: few rows, one small table (a readable JSON file under the file driver). */
export interface EndpointStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): EndpointRow | undefined;
  list(): EndpointRow[];
  save(row: EndpointRow): Promise<void>;
  delete(id: string): Promise<boolean>;
  /** Re-reads endpoints as stored now, before changing one (another instance may have just written it). */
  refresh(ids: readonly string[]): Promise<void>;
  /** Endpoints another instance created, changed or deleted (reads here already show it). */
  onChange(listener: (ids: readonly string[]) => void): () => void;
}

export class TableEndpointStore implements EndpointStore {
  readonly #table: Table<EndpointRow>;
  constructor(tables: TableFactory) {
    this.#table = tables.table<EndpointRow>('endpoints', 'small');
  }
  open(): Promise<void> {
    return this.#table.open();
  }
  close(): Promise<void> {
    return this.#table.close();
  }
  get(id: string): EndpointRow | undefined {
    return this.#table.get(id);
  }
  list(): EndpointRow[] {
    return [...this.#table.values()];
  }
  save(row: EndpointRow): Promise<void> {
    return this.#table.put(row);
  }
  delete(id: string): Promise<boolean> {
    return this.#table.delete(id);
  }
  refresh(ids: readonly string[]): Promise<void> {
    return this.#table.refresh(ids);
  }
  onChange(listener: (ids: readonly string[]) => void): () => void {
    return this.#table.onChange(listener);
  }
}

/** A persisted marker of how far fan-out has got through the event log (see fanout.ts). */
export interface CursorStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(): string | null;
  set(eventId: string): Promise<void>;
  /** Re-reads the cursor (the previous leader of fan-out, on another instance, moved it). */
  refresh(): Promise<void>;
}

export class TableCursorStore implements CursorStore {
  readonly #table: Table<{ id: string; event_id: string }>;
  constructor(tables: TableFactory) {
    this.#table = tables.table('delivery_cursor', 'small');
  }
  open(): Promise<void> {
    return this.#table.open();
  }
  close(): Promise<void> {
    return this.#table.close();
  }
  get(): string | null {
    return this.#table.get('fanout')?.event_id ?? null;
  }
  set(eventId: string): Promise<void> {
    return this.#table.put({ id: 'fanout', event_id: eventId });
  }
  refresh(): Promise<void> {
    return this.#table.refresh(['fanout']);
  }
}
