import { open, readFile, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { PRIVATE_FILE_MODE } from './data-dir-modes.ts';

/**
 * A lowdb adapter for one JSON file that only its owner may read: each write goes to a new temporary
 * file created 0600 and is renamed over the old one, so a reader sees the old file or the new, never a
 * torn one, and a file written before modes were enforced is replaced by a private one on first write.
 */
export class PrivateJsonFile<T> implements Adapter<T> {
  readonly #file: string;
  readonly #tmp: string;

  constructor(file: string) {
    this.#file = file;
    this.#tmp = join(dirname(file), `.${basename(file)}.tmp`);
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
    const bytes = Buffer.from(JSON.stringify(data, null, 2));
    const handle = await open(this.#tmp, 'w', PRIVATE_FILE_MODE);
    try {
      for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
    } finally {
      await handle.close();
    }
    await rename(this.#tmp, this.#file);
  }
}
