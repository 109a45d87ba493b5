import { StoreUnavailableError } from '../../errors.ts';
import type { Row, Table } from '../table.ts';
import type { Database } from './database.ts';
import { type Signal, Signals } from './signals.ts';

/**
 * A Table as rows of one shared JSONB table keyed by (table_name, id), read through a cache loaded at
 * open(). Every write also NOTIFYs the ids it changed on the cluster channel (in the same statement,
 * so on commit); the other instances re-read those rows into their caches and tell their onChange
 * listeners. Reads on one instance therefore follow writes on another within milliseconds; code that
 * must act on the current row (after claiming work another instance held) calls refresh() first.
 * Writes and re-reads run one after another per table, so a re-read never overwrites a newer local write.
 */
export class PostgresTable<T extends Row> implements Table<T> {
  readonly name: string;
  readonly #db: Database;
  #rows = new Map<string, T>();
  #open = false;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(ids: readonly string[]) => void>();
  #unlisten: (() => void) | null = null;
  /** Ids other instances changed, waiting for one re-read. */
  #changed = new Set<string>();
  /**
   * Rows put while other work on this table runs, waiting for their turn: puts made until then join
   * them and share one statement (group commit), as long as nothing else was queued after them.
   */
  #queuedPuts: { rows: Map<string, T>; done: Promise<void> } | null = null;

  constructor(db: Database, name: string) {
    this.#db = db;
    this.name = name;
  }

  async open(): Promise<void> {
    if (this.#open) return;
    this.#unlisten = await this.#db.listenToSignals(
      (signal) => this.#onSignal(signal),
      () => this.#resync(),
    );
    this.#rows = await this.#loadAll();
    this.#open = true;
  }

  async close(): Promise<void> {
    this.#open = false;
    this.#unlisten?.();
    await this.#tail;
  }

  get(id: string): T | undefined {
    return this.#rows.get(id);
  }

  values(): IterableIterator<T> {
    return this.#rows.values();
  }

  get size(): number {
    return this.#rows.size;
  }

  onChange(listener: (ids: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  put(row: T): Promise<void> {
    return this.putMany([row]);
  }

  /**
   * One statement for all rows; a row put twice keeps its last version. Puts made while this table's
   * previous work runs go out together in the next statement (see #queuedPuts).
   */
  putMany(rows: readonly T[]): Promise<void> {
    if (rows.length === 0) return this.#inOrder(async () => {});
    const queued = this.#queuedPuts;
    if (queued && this.#open) {
      for (const row of rows) queued.rows.set(row.id, row);
      return queued.done;
    }
    const latest = new Map(rows.map((row) => [row.id, row]));
    const done = this.#inOrder(async () => {
      if (this.#queuedPuts?.rows === latest) this.#queuedPuts = null;
      await this.#written(
        `WITH up AS (
           INSERT INTO relay_rows (table_name, id, row)
           SELECT $1, r.value->>'id', r.value FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(value, n) ORDER BY r.n
           ON CONFLICT (table_name, id) DO UPDATE SET row = EXCLUDED.row)
         SELECT pg_notify($3, p) FROM unnest($4::text[]) AS p`,
        [this.name, JSON.stringify([...latest.values()]), this.#db.signals.channel, this.#payloads([...latest.keys()])],
      );
      for (const row of latest.values()) this.#rows.set(row.id, row);
    });
    this.#queuedPuts = { rows: latest, done };
    return done;
  }

  /** One statement, and one notice per group of inserted ids (not one per row). */
  insertNew(rows: readonly T[]): Promise<T[]> {
    const latest = new Map(rows.map((row) => [row.id, row]));
    return this.#inOrder(async () => {
      if (latest.size === 0) return [];
      const ids = [...latest.keys()];
      const { rows: inserted } = await this.#written<{ id: string | null }>(
        `WITH ins AS (
           INSERT INTO relay_rows (table_name, id, row)
           SELECT $1, r.value->>'id', r.value FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(value, n) ORDER BY r.n
           ON CONFLICT (table_name, id) DO NOTHING RETURNING id)
         SELECT id FROM ins
         UNION ALL
         SELECT NULL
         FROM (SELECT pg_notify($3, json_build_object('k', 'rows', 'from', $4::text, 'table', $1::text, 'ids', json_agg(ins.id))::text)
               FROM ins JOIN unnest($5::text[], $6::int[]) AS c(id, chunk) ON c.id = ins.id GROUP BY c.chunk) AS notices`,
        [
          this.name,
          JSON.stringify([...latest.values()]),
          this.#db.signals.channel,
          this.#db.instance,
          ids,
          Signals.rowChunks(this.name, ids),
        ],
      );
      const fresh: T[] = [];
      for (const { id } of inserted) {
        if (id === null) continue; // a notice's row
        const row = latest.get(id) as T;
        this.#rows.set(id, row);
        fresh.push(row);
      }
      return fresh;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#inOrder(async () => {
      await this.#written(
        `WITH d AS (DELETE FROM relay_rows WHERE table_name = $1 AND id = $2)
         SELECT pg_notify($3, p) FROM unnest($4::text[]) AS p`,
        [this.name, id, this.#db.signals.channel, this.#payloads([id])],
      );
      return this.#rows.delete(id);
    });
  }

  refresh(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.#inOrder(() => this.#reload(ids)).then(() => {});
  }

  /** A write the database refused (unreachable, disk full) is the store being unavailable; the cache is untouched. */
  async #written<R extends Record<string, unknown>>(text: string, values: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await this.#db.query<R>(text, values);
    } catch (error) {
      throw new StoreUnavailableError(`The ${this.name} table could not be written.`, error);
    }
  }

  #payloads(ids: readonly string[]): string[] {
    return Signals.rowPayloads(this.#db.instance, this.name, ids);
  }

  #inOrder<R>(work: () => Promise<R>): Promise<R> {
    if (!this.#open) return Promise.reject(new StoreUnavailableError(`The ${this.name} table is not open.`));
    // Work queued after waiting puts keeps its place behind them: later puts must not join and pass it.
    this.#queuedPuts = null;
    const result = this.#tail.then(work);
    this.#tail = result.catch(() => {});
    return result;
  }

  #onSignal(signal: Signal): void {
    if (signal.k !== 'rows' || signal.table !== this.name || signal.from === this.#db.instance || !this.#open) return;
    const first = this.#changed.size === 0;
    for (const id of signal.ids) this.#changed.add(id);
    if (!first) return;
    // Ids that arrive while this re-read waits for its turn join it.
    this.#inOrder(async () => {
      const ids = [...this.#changed];
      this.#changed = new Set();
      const changed = await this.#reload(ids);
      this.#tell(changed);
    }).catch(() => {
      // The database is unreachable: the LISTEN connection is lost too, and its resync re-reads all.
    });
  }

  /** Re-reads rows into the cache; returns the ids whose row changed or went away. */
  async #reload(ids: readonly string[]): Promise<string[]> {
    const { rows } = await this.#db.query<{ id: string; row: T }>(
      'SELECT id, row FROM relay_rows WHERE table_name = $1 AND id = ANY($2)',
      [this.name, ids],
    );
    const found = new Set<string>();
    for (const { id, row } of rows) {
      found.add(id);
      this.#rows.set(id, row);
    }
    for (const id of ids) if (!found.has(id)) this.#rows.delete(id);
    return [...ids];
  }

  #resync(): void {
    if (!this.#open) return;
    this.#inOrder(async () => {
      this.#rows = await this.#loadAll();
      this.#tell([...this.#rows.keys()]);
    }).catch(() => {});
  }

  async #loadAll(): Promise<Map<string, T>> {
    const { rows } = await this.#db.query<{ row: T }>('SELECT row FROM relay_rows WHERE table_name = $1 ORDER BY seq', [
      this.name,
    ]);
    return new Map(rows.map(({ row }) => [row.id, row]));
  }

  #tell(ids: readonly string[]): void {
    if (ids.length === 0) return;
    for (const listener of this.#listeners) listener(ids);
  }
}
