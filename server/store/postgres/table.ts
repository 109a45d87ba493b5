import { StoreUnavailableError } from '../../errors.ts';
import type { Row, Table } from '../table.ts';
import type { Database } from './database.ts';

/**
 * A Table as rows of one shared JSONB table keyed by (table_name, id). Reads come from a cache loaded
 * at open() and written through on every put, which is correct for ONE relay instance only: a second
 * instance does not see these writes until it reopens. Several instances need domain stores that
 * query PostgreSQL directly (and claim work with row locks) instead of this cache; see
 * docs/deployment.md.
 */
export class PostgresTable<T extends Row> implements Table<T> {
  readonly name: string;
  readonly #db: Database;
  readonly #rows = new Map<string, T>();
  #open = false;
  /** Writes run one after another, so the order rows were first put is the order they get a seq. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(db: Database, name: string) {
    this.#db = db;
    this.name = name;
  }

  async open(): Promise<void> {
    if (this.#open) return;
    await this.#db.open();
    const { rows } = await this.#db.query<{ row: T }>('SELECT row FROM relay_rows WHERE table_name = $1 ORDER BY seq', [
      this.name,
    ]);
    for (const { row } of rows) this.#rows.set(row.id, row);
    this.#open = true;
  }

  async close(): Promise<void> {
    this.#open = false;
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

  put(row: T): Promise<void> {
    return this.putMany([row]);
  }

  #inOrder<R>(write: () => Promise<R>): Promise<R> {
    if (!this.#open) return Promise.reject(new StoreUnavailableError(`The ${this.name} table is not open.`));
    const result = this.#tail.then(write);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** One statement for all rows; a row put twice in one call keeps its last version. */
  putMany(rows: readonly T[]): Promise<void> {
    return this.#inOrder(() => this.#upsert(rows));
  }

  async #upsert(rows: readonly T[]): Promise<void> {
    const latest = new Map(rows.map((row) => [row.id, row]));
    if (latest.size === 0) return;
    await this.#db.query(
      `INSERT INTO relay_rows (table_name, id, row)
       SELECT $1, r.value->>'id', r.value FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(value, n) ORDER BY r.n
       ON CONFLICT (table_name, id) DO UPDATE SET row = EXCLUDED.row`,
      [this.name, JSON.stringify([...latest.values()])],
    );
    for (const row of rows) this.#rows.set(row.id, row);
  }

  delete(id: string): Promise<boolean> {
    return this.#inOrder(async () => {
      await this.#db.query('DELETE FROM relay_rows WHERE table_name = $1 AND id = $2', [this.name, id]);
      return this.#rows.delete(id);
    });
  }
}
