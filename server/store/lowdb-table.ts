import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { OwnerOnlyJsonFile } from './owner-only-file.ts';
import { jsonErrorPosition } from './json-position.ts';
import { CorruptFileError } from './jsonl.ts';
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

  private readonly mode: number | undefined;

  /** `mode` (e.g. 0o600 for secrets): the file is written with it from the first byte, and fixed at open. */
  constructor(name: string, file: string, mode?: number) {
    super(name);
    this.file = file;
    this.mode = mode;
    const adapter = mode === undefined ? new JSONFile<TableFile<T>>(file) : new OwnerOnlyJsonFile<TableFile<T>>(file, mode);
    this.#db = new Low<TableFile<T>>(adapter, { rows: [] });
  }

  override async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    try {
      await this.#db.read();
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      const position = jsonErrorPosition(await readFile(this.file, 'utf8'));
      throw new CorruptFileError(this.file, position?.line ?? 1, error.message);
    }
    if (this.mode !== undefined) await chmod(this.file, this.mode).catch(() => {});
    if (!Array.isArray(this.#db.data?.rows)) throw new CorruptFileError(this.file, 1, 'no "rows" list');
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
