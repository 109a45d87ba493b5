import type { Database } from './database.ts';
import { insertStatement, MAX_ROWS_PER_INSERT, type NewRow } from './event-rows.ts';

/**
 * Groups of up to this many events are named statements, prepared once per connection: parsing and
 * planning a 7-event INSERT took about a third of its server CPU, and the INSERT has no index to choose.
 */
const PREPARED_SIZES = 32;

interface Waiting extends NewRow {
  resolve(inserted: boolean): void;
  reject(error: unknown): void;
}

/**
 * Group commit for PostgreSQL: while one INSERT is in flight, new events queue, and the next INSERT
 * takes all of them (up to MAX_ROWS_PER_INSERT) in one statement and one commit. Under load this turns
 * many commits (each a WAL flush) into few; alone, an event waits for nothing.
 */
export class InsertBatcher {
  readonly #db: Database;
  readonly #instance: string;
  #queue: Waiting[] = [];
  #running: Promise<void> | null = null;

  constructor(db: Database, instance: string) {
    this.#db = db;
    this.#instance = instance;
  }

  /** Resolves true when the row was inserted, false when its (source, provider_id) was already there. */
  insert(row: NewRow): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ ...row, resolve, reject });
      this.#running ??= this.#drain().finally(() => {
        this.#running = null;
      });
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_ROWS_PER_INSERT);
      try {
        const { text, values } = insertStatement(batch, this.#db.channel, this.#instance, this.#db.otherInstances > 0);
        // The text depends on the group's size alone; the common small sizes are parsed and planned once.
        const name = batch.length <= PREPARED_SIZES ? `hookrelay_insert_events_${batch.length}` : undefined;
        const { rows } = await this.#db.query<{ id: string }>(text, values, name);
        const inserted = new Set(rows.map((r) => r.id));
        for (const waiting of batch) waiting.resolve(inserted.has(waiting.event.id));
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
  }
}
