// A keyed collection of records, the storage seam that subsystems (tokens, endpoints, deliveries, runs,
// responses) build their own domain stores on. Implementations: MemoryTable, LogTable (JSON lines,
// for high-volume rows), LowdbTable (one lowdb JSON file, for small configuration-like state),
// PostgresTable (rows in PostgreSQL behind a cache: one instance only, see its comment). Reads are
// synchronous, so a store shared by several instances needs domain stores that query the database.

export interface Row {
  id: string;
}

export interface Table<T extends Row> {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  get(id: string): T | undefined;
  /**
   * Rows in the order they were first put. Rows are kept by reference: treat them as read-only and put
   * a changed copy.
   */
  values(): IterableIterator<T>;
  readonly size: number;
  /** Insert or replace; durable before it resolves. */
  put(row: T): Promise<void>;
  /** Several rows in one durable write. */
  putMany(rows: readonly T[]): Promise<void>;
  delete(id: string): Promise<boolean>;
}

export type TableVolume = 'small' | 'large';

/** Makes tables for one store driver. */
export interface TableFactory {
  table<T extends Row>(name: string, volume?: TableVolume): Table<T>;
}
