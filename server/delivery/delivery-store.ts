import type { Table, TableFactory } from '../store/table.ts';
import { insertSorted } from './sorted-ids.ts';
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
  /** Inserts the rows whose id is not stored yet; resolves with those (the store settles concurrent inserts). */
  insertNew(rows: readonly DeliveryRow[]): Promise<DeliveryRow[]>;
  /** Re-reads rows as stored now (another instance may have written them); no-op in one process. */
  refresh(ids: readonly string[]): Promise<void>;
  /** Rows another instance wrote or deleted, once reads here show the change; never called in one process. */
  onChange(listener: (ids: readonly string[]) => void): () => void;
  /** Every pending delivery (resumed on start). */
  pending(): DeliveryRow[];
  /** An endpoint's deliveries, newest first. */
  listForEndpoint(endpointId: string, query: DeliveryQuery): DeliveryRow[];
  /** Every delivery of an event (fan-out, replays, bare-URL deliveries), oldest first. */
  listForEvent(eventId: string): DeliveryRow[];
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
  /** event id → every delivery id made for it, in creation order. */
  readonly #ofEvent = new Map<string, string[]>();
  readonly #pending = new Set<string>();
  readonly #listeners = new Set<(ids: readonly string[]) => void>();
  #unlisten: (() => void) | null = null;
  /** Rows other instances deleted since the indexes were last cleared of them. */
  #deletedElsewhere = 0;

  constructor(tables: TableFactory) {
    this.#table = tables.table<DeliveryRow>('deliveries', 'large');
  }

  async open(): Promise<void> {
    await this.#table.open();
    const rows = [...this.#table.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const row of rows) this.#index(row);
    this.#unlisten = this.#table.onChange((ids) => {
      this.#reindex(ids);
      for (const listener of this.#listeners) listener(ids);
    });
  }

  close(): Promise<void> {
    this.#unlisten?.();
    return this.#table.close();
  }

  onChange(listener: (ids: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get(id: string): DeliveryRow | undefined {
    return this.#table.get(id);
  }

  findForEvent(endpointId: string, eventId: string): DeliveryRow | undefined {
    const id = this.#byEvent.get(`${endpointId} ${eventId}`);
    return id === undefined ? undefined : this.#table.get(id);
  }

  async save(rows: readonly DeliveryRow[]): Promise<void> {
    for (const row of rows) {
      // A stored row is indexed already under its endpoint and event, which never change: only its
      // status can move it in or out of the pending set (most saves are attempts of stored rows).
      if (this.#table.get(row.id) === undefined) this.#index(row);
      else if (row.status === 'pending') this.#pending.add(row.id);
      else this.#pending.delete(row.id);
    }
    await this.#table.putMany(rows);
  }

  async insertNew(rows: readonly DeliveryRow[]): Promise<DeliveryRow[]> {
    const inserted = await this.#table.insertNew(rows);
    for (const row of inserted) this.#index(row);
    return inserted;
  }

  async refresh(ids: readonly string[]): Promise<void> {
    await this.#table.refresh(ids);
    this.#reindex(ids);
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

  listForEvent(eventId: string): DeliveryRow[] {
    const rows: DeliveryRow[] = [];
    for (const id of this.#ofEvent.get(eventId) ?? []) {
      const row = this.#table.get(id);
      if (row) rows.push(row);
    }
    return rows;
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
      this.#forgetForEvent(row);
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

  /** Indexes a row, new or changed (an endpoint's list gains it once). */
  #index(row: DeliveryRow): void {
    if (row.status === 'pending') this.#pending.add(row.id);
    else this.#pending.delete(row.id);
    const ofEvent = this.#ofEvent.get(row.event_id);
    if (ofEvent) insertSorted(ofEvent, row.id);
    else this.#ofEvent.set(row.event_id, [row.id]);
    if (!row.endpoint_id) return;
    const ids = this.#byEndpoint.get(row.endpoint_id);
    if (ids) insertSorted(ids, row.id);
    else this.#byEndpoint.set(row.endpoint_id, [row.id]);
    if (row.origin === 'event') this.#byEvent.set(`${row.endpoint_id} ${row.event_id}`, row.id);
  }

  #forgetForEvent(row: DeliveryRow): void {
    const ids = this.#ofEvent.get(row.event_id)?.filter((id) => id !== row.id);
    if (ids?.length) this.#ofEvent.set(row.event_id, ids);
    else this.#ofEvent.delete(row.event_id);
  }

  /** Follows rows another instance wrote or deleted. */
  #reindex(ids: readonly string[]): void {
    for (const id of ids) {
      const row = this.#table.get(id);
      if (row) {
        this.#index(row);
        continue;
      }
      this.#pending.delete(id);
      this.#deletedElsewhere++;
    }
    // Readers skip ids whose row is gone, so clearing them from the indexes can wait for a batch
    // worth a pass over the indexes (prune on another instance deletes thousands at a time).
    if (this.#deletedElsewhere > Math.max(1000, this.#table.size / 10)) this.#dropDeleted();
  }

  #dropDeleted(): void {
    this.#deletedElsewhere = 0;
    for (const [endpointId, ids] of this.#byEndpoint) {
      this.#byEndpoint.set(
        endpointId,
        ids.filter((id) => this.#table.get(id) !== undefined),
      );
    }
    for (const [key, id] of this.#byEvent) if (!this.#table.get(id)) this.#byEvent.delete(key);
    for (const [eventId, ids] of this.#ofEvent) {
      const kept = ids.filter((id) => this.#table.get(id) !== undefined);
      if (kept.length > 0) this.#ofEvent.set(eventId, kept);
      else this.#ofEvent.delete(eventId);
    }
  }
}
