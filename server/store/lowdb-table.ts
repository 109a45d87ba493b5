import { chmod, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
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
  /** Secrets inside: the folder is 0700 and the file 0600, so the rename-over write is never readable by others. */
  private readonly restricted: boolean;

  constructor(name: string, file: string, options: { private?: boolean } = {}) {
    super(name);
    this.file = file;
    this.restricted = options.private ?? false;
    this.#db = new Low<TableFile<T>>(new JSONFile<TableFile<T>>(file), { rows: [] });
  }

  override async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: this.restricted ? 0o700 : 0o777 });
    if (this.restricted) await this.#restrict();
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
    if (this.restricted) await chmod(this.file, 0o600);
  }

  /** A folder made before (or by hand) is tightened too. */
  async #restrict(): Promise<void> {
    await chmod(dirname(this.file), 0o700);
    await chmod(this.file, 0o600).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}
