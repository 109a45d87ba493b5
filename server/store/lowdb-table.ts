import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { MemoryTable } from './memory-table.ts';
import type { Row, Table } from './table.ts';

interface TableFile<T> {
  rows: T[];
}

/**
 * A small table as one human-readable lowdb JSON file (atomic temp-file-and-rename writes through
 * steno). Every write serialises the whole table, so this is for configuration-like state only:
 * tokens, endpoints, settings. High-volume rows belong in a LogTable.
 */
export class LowdbTable<T extends Row> extends MemoryTable<T> implements Table<T> {
  #db: Low<TableFile<T>>;

  private readonly file: string;

  constructor(name: string, file: string) {
    super(name);
    this.file = file;
    this.#db = new Low<TableFile<T>>(new JSONFile<TableFile<T>>(file), { rows: [] });
  }

  override async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    try {
      await this.#db.read();
    } catch (error) {
      throw new Error(
        `${this.file}: not valid JSON (${(error as Error).message}). hookrelay will not overwrite it; ` +
          'restore it from a backup or move it away, then start again.',
      );
    }
    for (const row of this.#db.data.rows) this.rows.set(row.id, row);
  }

  override async put(row: T): Promise<void> {
    this.rows.set(row.id, row);
    await this.#save();
  }

  override async putMany(rows: readonly T[]): Promise<void> {
    for (const row of rows) this.rows.set(row.id, row);
    await this.#save();
  }

  override async delete(id: string): Promise<boolean> {
    if (!this.rows.delete(id)) return false;
    await this.#save();
    return true;
  }

  async #save(): Promise<void> {
    this.#db.data = { rows: [...this.rows.values()] };
    await this.#db.write();
  }
}
