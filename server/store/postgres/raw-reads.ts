import type { RawBody } from '../types.ts';
import type { Database } from './database.ts';

/** Ids read in one statement at most. */
const MAX_IDS_PER_READ = 500;

interface Waiting {
  id: string;
  resolve(body: RawBody | undefined): void;
  reject(error: unknown): void;
}

/**
 * Groups raw-body reads (one per delivery attempt) the way InsertBatcher groups inserts: while one
 * SELECT is in flight, new reads queue, and the next SELECT takes all of them by id. Alone, a read
 * waits for nothing; under delivery load it turns one query per delivery into one per group.
 */
export class RawReadBatcher {
  readonly #db: Database;
  /** The retention floor: ids below it read as gone even before the sweep deletes them. */
  readonly #floor: () => Promise<string>;
  #queue: Waiting[] = [];
  #running: Promise<void> | null = null;

  constructor(db: Database, floor: () => Promise<string>) {
    this.#db = db;
    this.#floor = floor;
  }

  read(id: string): Promise<RawBody | undefined> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id, resolve, reject });
      this.#running ??= this.#drain().finally(() => {
        this.#running = null;
      });
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_IDS_PER_READ);
      try {
        const ids = [...new Set(batch.map((w) => w.id))];
        const { rows } = await this.#db.query<RawBody & { id: string }>(
          'SELECT id, raw, content_type, client_ip FROM events WHERE id = ANY($1::text[]) AND id >= $2',
          [ids, await this.#floor()],
        );
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const waiting of batch) {
          const row = byId.get(waiting.id);
          waiting.resolve(row && { raw: row.raw, content_type: row.content_type, client_ip: row.client_ip ?? null });
        }
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
  }
}
