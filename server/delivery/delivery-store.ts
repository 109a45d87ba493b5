import type { Table, TableFactory } from '../store/table.ts';
import type { DeliveryRow, DeliveryStatus } from './types.ts';

/**
 * Where deliveries and their attempts live. The engine only talks to this interface, so a database
 * implementation can replace the table-backed one without touching callers.
 */
export interface DeliveryStore {
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): DeliveryRow | undefined;
  /** The delivery a matching event created for an endpoint, if any (fan-out is idempotent). */
  findForEvent(endpointId: string, eventId: string): DeliveryRow | undefined;
  /** Inserts or replaces rows; durable when it resolves. */
  save(rows: readonly DeliveryRow[]): Promise<void>;
  /** Every pending delivery (resumed on start). */
  pending(): DeliveryRow[];
  /** An endpoint's deliveries, newest first. */
  listForEndpoint(endpointId: string, query: DeliveryQuery): DeliveryRow[];
  /** Deliveries of an endpoint in a status created at or after a time, oldest first. */
  since(endpointId: string, status: DeliveryStatus, fromMs: number): DeliveryRow[];
  /** Counts of pending deliveries overall. */
  pendingCount(): number;
  /**
   * Deletes finished deliveries that finished before the time, and the oldest finished ones beyond
   * `keepFinished`; returns how many.
   */
  prune(finishedBefore: number, keepFinished: number): Promise<number>;
}

export interface DeliveryQuery {
  status?: DeliveryStatus;
  /** Only deliveries whose id sorts before this cursor (for paging newest first). */
  before?: string;
  limit: number;
}

/** DeliveryStore over one 'large' table (a JSON-lines log under the file driver), with in-memory indexes. */
export class TableDeliveryStore implements DeliveryStore {
  readonly #table: Table<DeliveryRow>;
  /** endpoint id → delivery ids in creation order (ids sort by time). */
  readonly #byEndpoint = new Map<string, string[]>();
  readonly #byEvent = new Map<string, string>();
  readonly #pending = new Set<string>();

  constructor(tables: TableFactory) {
    this.#table = tables.table<DeliveryRow>('deliveries', 'large');
  }

  async open(): Promise<void> {
    await this.#table.open();
    const rows = [...this.#table.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const row of rows) this.#index(row, true);
  }

  close(): Promise<void> {
    return this.#table.close();
  }

  get(id: string): DeliveryRow | undefined {
    return this.#table.get(id);
  }

  findForEvent(endpointId: string, eventId: string): DeliveryRow | undefined {
    const id = this.#byEvent.get(`${endpointId} ${eventId}`);
    return id === undefined ? undefined : this.#table.get(id);
  }

  async save(rows: readonly DeliveryRow[]): Promise<void> {
    for (const row of rows) this.#index(row, !this.#table.get(row.id));
    await this.#table.putMany(rows);
  }

  pending(): DeliveryRow[] {
    const rows: DeliveryRow[] = [];
    for (const id of this.#pending) {
      const row = this.#table.get(id);
      if (row) rows.push(row);
    }
    return rows;
  }

  listForEndpoint(endpointId: string, query: DeliveryQuery): DeliveryRow[] {
    const ids = this.#byEndpoint.get(endpointId) ?? [];
    const out: DeliveryRow[] = [];
    for (let i = ids.length - 1; i >= 0 && out.length < query.limit; i--) {
      if (query.before !== undefined && ids[i] >= query.before) continue;
      const row = this.#table.get(ids[i]);
      if (row && (query.status === undefined || row.status === query.status)) out.push(row);
    }
    return out;
  }

  since(endpointId: string, status: DeliveryStatus, fromMs: number): DeliveryRow[] {
    const ids = this.#byEndpoint.get(endpointId) ?? [];
    const out: DeliveryRow[] = [];
    for (let i = ids.length - 1; i >= 0; i--) {
      const row = this.#table.get(ids[i]);
      if (!row) continue;
      if (row.created_at < fromMs) break;
      if (row.status === status) out.push(row);
    }
    return out.reverse();
  }

  pendingCount(): number {
    return this.#pending.size;
  }

  async prune(finishedBefore: number, keepFinished: number): Promise<number> {
    const doomed = new Set<string>();
    let excess = this.#table.size - this.#pending.size - keepFinished;
    // Rows iterate in creation order, so the first finished ones met are the oldest.
    for (const row of this.#table.values()) {
      if (row.status === 'pending') continue;
      if (excess > 0 || (row.finished_at !== null && row.finished_at < finishedBefore)) {
        doomed.add(row.id);
        excess--;
      }
    }
    for (const id of doomed) {
      const row = this.#table.get(id) as DeliveryRow;
      if (row.origin === 'event' && row.endpoint_id) this.#byEvent.delete(`${row.endpoint_id} ${row.event_id}`);
      await this.#table.delete(id);
    }
    if (doomed.size > 0) {
      for (const [endpointId, ids] of this.#byEndpoint)
        this.#byEndpoint.set(
          endpointId,
          ids.filter((id) => !doomed.has(id)),
        );
    }
    return doomed.size;
  }

  #index(row: DeliveryRow, isNew: boolean): void {
    if (row.status === 'pending') this.#pending.add(row.id);
    else this.#pending.delete(row.id);
    if (!isNew) return;
    if (row.endpoint_id) {
      const ids = this.#byEndpoint.get(row.endpoint_id);
      if (ids) ids.push(row.id);
      else this.#byEndpoint.set(row.endpoint_id, [row.id]);
      if (row.origin === 'event') this.#byEvent.set(`${row.endpoint_id} ${row.event_id}`, row.id);
    }
  }
}
