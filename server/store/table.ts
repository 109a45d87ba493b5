// A keyed collection of records, the storage seam that subsystems (tokens, endpoints, deliveries, runs,
// responses) build their own domain stores on. Implementations: MemoryTable, LogTable (JSON lines,
// for high-volume rows), LowdbTable (one lowdb JSON file, for small configuration-like state),
// PostgresTable (rows in PostgreSQL behind a cache: one instance only, see its comment). Reads are
// synchronous; with several instances on PostgreSQL each instance's reads follow the others' writes
// within milliseconds (onChange), and refresh() reads a row as stored now.

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
  /**
   * Inserts the rows whose id is not stored yet and resolves with those it inserted: with several
   * instances on one store, the store decides which of two concurrent inserts came first.
   */
  insertNew(rows: readonly T[]): Promise<T[]>;
  /**
   * Re-reads rows from the store (another instance may have changed them); no-op where one process
   * owns the store. Call it after claiming work another instance held, before trusting the row.
   */
  refresh(ids: readonly string[]): Promise<void>;
  /**
   * Listens for rows another instance changed or deleted (after this table's reads show the change);
   * never called where one process owns the store. Returns the function that stops listening.
   */
  onChange(listener: (ids: readonly string[]) => void): () => void;
}

export type TableVolume = 'small' | 'large';

export interface TableOptions {
  /** Rows hold secrets (key hashes): where the table is a file, it is owner-only (0600). */
  secret?: boolean;
}

/** Makes tables for one store driver. */
export interface TableFactory {
  table<T extends Row>(name: string, volume?: TableVolume, options?: TableOptions): Table<T>;
}
