import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb JSON adapter whose file never exists with a wider mode than asked: each write goes to a
 * fresh temp file created with that mode, then renames over the old one (atomic, like steno's).
 * Callers serialise writes (Low does, one at a time per table).
 */
export class OwnerOnlyJsonFile<T> implements Adapter<T> {
  readonly #file: string;
  readonly #mode: number;

  constructor(file: string, mode: number) {
    this.#file = file;
    this.#mode = mode;
  }

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.#file, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async write(data: T): Promise<void> {
    const temp = join(dirname(this.#file), `.${basename(this.#file)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(temp, JSON.stringify(data, null, 2), { mode: this.#mode, flag: 'wx' });
      await rename(temp, this.#file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}
