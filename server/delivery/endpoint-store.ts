import type { Table, TableFactory } from '../store/table.ts';
import { type EndpointRow, withEndpointDefaults } from './types.ts';

const UID_RESERVATION_MS = 60_000;

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
  /**
   * Reserves a uid for an endpoint id. Resolves with the id the uid belongs to: `endpointId` when the
   * reservation is new (or the uid's endpoint is gone), otherwise the endpoint that holds it. The store
   * settles concurrent reservations, across instances too.
   */
  reserveUid(uid: string, endpointId: string, now: number): Promise<string>;
  /** Frees a uid (its endpoint was deleted, or never saved). */
  releaseUid(uid: string): Promise<void>;
}

export class TableEndpointStore implements EndpointStore {
  readonly #table: Table<EndpointRow>;
  /** uid → endpoint id: a row per uid, so the store's insertNew settles who got a uid first. */
  readonly #uids: Table<{ id: string; endpoint_id: string; reserved_at: number }>;
  constructor(tables: TableFactory) {
    this.#table = tables.table<EndpointRow>('endpoints', 'small');
    this.#uids = tables.table('endpoint_uids', 'small');
  }
  async open(): Promise<void> {
    await Promise.all([this.#table.open(), this.#uids.open()]);
  }
  async close(): Promise<void> {
    await Promise.all([this.#table.close(), this.#uids.close()]);
  }
  get(id: string): EndpointRow | undefined {
    const row = this.#table.get(id);
    return row && withEndpointDefaults(row);
  }
  list(): EndpointRow[] {
    return [...this.#table.values()].map(withEndpointDefaults);
  }
  async reserveUid(uid: string, endpointId: string, now: number): Promise<string> {
    const reservation = { id: uid, endpoint_id: endpointId, reserved_at: now };
    const [inserted] = await this.#uids.insertNew([reservation]);
    if (inserted) return endpointId;
    await this.#uids.refresh([uid]);
    const holder = this.#uids.get(uid);
    if (!holder) return this.reserveUid(uid, endpointId, now);
    await this.#table.refresh([holder.endpoint_id]);
    // A reservation whose endpoint is gone (deleted, or its creation failed half-way) frees the uid once
    // it is older than a creation could take; a younger one is a creation still under way.
    if (this.#table.get(holder.endpoint_id) || holder.reserved_at > now - UID_RESERVATION_MS) return holder.endpoint_id;
    await this.#uids.put(reservation);
    return endpointId;
  }
  async releaseUid(uid: string): Promise<void> {
    await this.#uids.delete(uid);
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
