import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { StoreUnavailableError } from '../errors.ts';
import { PRIVATE_DIR_MODE } from './data-dir-modes.ts';
import { jsonErrorPosition } from './json-position.ts';
import { CorruptFileError } from './jsonl.ts';
import { MemoryTable } from './memory-table.ts';
import { PrivateJsonFile } from './private-json-file.ts';
import type { Row, Table } from './table.ts';
import type { WriteHealth } from './write-health.ts';

interface TableFile<T> {
  rows: T[];
}

/** One caller's change, applied to a copy of the rows; its result is what the caller gets once durable. */
interface PendingChange<T> {
  apply(rows: Map<string, T>): unknown;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * A small table as one human-readable lowdb JSON file (owner-only, written aside and renamed into
 * place). Every write serialises the whole table, so this is for configuration-like state only:
 * tokens, endpoints, settings. High-volume rows belong in a LogTable.
 *
 * Changes are applied to a copy of the rows, which replaces the rows only once the file holding it is
 * written: a write that fails (disk full) leaves no trace, in memory or on disk (issue 14). Changes
 * made while a write is in progress share the next write (group commit).
 */
export class LowdbTable<T extends Row> extends MemoryTable<T> implements Table<T> {
  #db: Low<TableFile<T>>;
  #pending: PendingChange<T>[] = [];
  #writing: Promise<void> | null = null;

  private readonly file: string;
  readonly #health: WriteHealth | undefined;

  constructor(name: string, file: string, health?: WriteHealth) {
    super(name);
    this.file = file;
    this.#health = health;
    this.#db = new Low<TableFile<T>>(new PrivateJsonFile<TableFile<T>>(file), { rows: [] });
  }

  override async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: PRIVATE_DIR_MODE });
    try {
      await this.#db.read();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      const position = jsonErrorPosition(await readFile(this.file, 'utf8'));
      throw new CorruptFileError(this.file, position?.line ?? 1, error.message);
    }
    if (!Array.isArray(this.#db.data?.rows)) throw new CorruptFileError(this.file, 1, 'no "rows" list');
    for (const row of this.#db.data.rows) this.rows.set(row.id, row);
  }

  override async close(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  override put(row: T): Promise<void> {
    return this.putMany([row]);
  }

  override async putMany(rows: readonly T[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#change((next) => {
      for (const row of rows) next.set(row.id, row);
    });
  }

  override delete(id: string): Promise<boolean> {
    // Nothing queued could add it: no write needed to know it is not there.
    if (!this.rows.has(id) && !this.#writing) return Promise.resolve(false);
    return this.#change((next) => next.delete(id)) as Promise<boolean>;
  }

  override insertNew(rows: readonly T[]): Promise<T[]> {
    return this.#change((next) => {
      const fresh: T[] = [];
      for (const row of rows) {
        if (next.has(row.id)) continue;
        next.set(row.id, row);
        fresh.push(row);
      }
      return fresh;
    }) as Promise<T[]>;
  }

  #change(apply: (rows: Map<string, T>) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ apply, resolve, reject });
      this.#writing ??= this.#writeAll();
    });
  }

  async #writeAll(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        const next = new Map(this.rows);
        const results = batch.map((change) => change.apply(next));
        try {
          this.#db.data = { rows: [...next.values()] };
          await this.#db.write();
        } catch (error) {
          this.#health?.failed();
          const unavailable = new StoreUnavailableError(`The ${this.name} table could not be written.`, error);
          for (const change of batch) change.reject(unavailable);
          continue;
        }
        this.#health?.succeeded();
        this.rows = next;
        for (const [i, change] of batch.entries()) change.resolve(results[i]);
      }
    } finally {
      this.#writing = null;
    }
  }
}
