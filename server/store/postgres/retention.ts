import { idFloor } from '../../ids.ts';
import type { RetentionPolicy } from '../types.ts';
import type { Database } from './database.ts';

const DAY_MS = 86_400_000;
/** Rows per DELETE: each statement locks only the rows it removes, so ingest never waits on retention. */
export const RETENTION_BATCH = 1000;
/** Batches per sweep before yielding to the next request; a backlog shrinks over several sweeps. */
const BATCHES_PER_SWEEP = 50;

/** The smallest event id retention by age still keeps at `now`: reads filter by it, so expiry is exact. */
export function ageFloor(policy: RetentionPolicy, now: number): string {
  return idFloor('evt', now - policy.maxAgeDays * DAY_MS);
}

/**
 * Deletes expired events in bounded batches (DELETE ... WHERE id IN (SELECT ... LIMIT n)), never with
 * one statement over the whole table. Requests while a sweep runs fold into one more sweep.
 */
export class RetentionSweeper {
  readonly #db: Database;
  readonly #policy: RetentionPolicy;
  readonly #now: () => number;
  readonly #onDropping: (throughId: string) => void;
  #running: Promise<void> | null = null;
  #again = false;

  /** `onDropping` hears the newest id retention by count is about to delete (with every older one). */
  constructor(db: Database, policy: RetentionPolicy, now: () => number, onDropping: (throughId: string) => void = () => {}) {
    this.#db = db;
    this.#policy = policy;
    this.#now = now;
    this.#onDropping = onDropping;
  }

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = null;
    });
    this.#running.catch(() => {}); // a failed sweep is retried by the next request
  }

  /** Resolves once the sweeps asked for so far have run. */
  async settled(): Promise<void> {
    await this.#running?.catch(() => {});
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      await this.#sweep();
    } while (this.#again && !this.#db.closed);
  }

  async #sweep(): Promise<void> {
    let budget = BATCHES_PER_SWEEP;
    budget -= await this.#deleteBelow('id < $1', [ageFloor(this.#policy, this.#now())], budget);
    if (budget <= 0) return;
    // The newest maxEvents stay; the boundary is found once per sweep through the primary key.
    const { rows } = await this.#db.query<{ id: string }>('SELECT id FROM events ORDER BY id DESC OFFSET $1 LIMIT 1', [
      this.#policy.maxEvents,
    ]);
    if (!rows[0]) return;
    this.#onDropping(rows[0].id);
    await this.#deleteBelow('id <= $1', [rows[0].id], budget);
  }

  /** Deletes matching events a batch at a time; returns the batches used. */
  async #deleteBelow(condition: string, values: unknown[], budget: number): Promise<number> {
    let used = 0;
    while (used < budget && !this.#db.closed) {
      used++;
      const { rowCount } = await this.#db.query(
        `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ${condition} ORDER BY id LIMIT ${RETENTION_BATCH})`,
        values,
      );
      if ((rowCount ?? 0) < RETENTION_BATCH) return used;
    }
    this.#again = true; // budget spent with more to delete: carry on in the next sweep
    return used;
  }
}
