import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';

/** A line that is complete (ends in a newline) but is not JSON: the file was damaged, not torn. */
export class CorruptFileError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number) {
    super(
      `${file}:${line}: not valid JSON. The file is damaged; hookrelay will not overwrite it. ` +
        'Restore it from a backup or move it away, then start again.',
    );
    this.name = 'CorruptFileError';
    this.file = file;
    this.line = line;
  }
}

/**
 * Reads every complete JSON line. A torn last line (no trailing newline: a write that was cut off and
 * so never acknowledged) is cut from the file; a damaged complete line stops everything.
 */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) await truncate(file, Buffer.byteLength(text.slice(0, end)));
  const records: T[] = [];
  let lineNo = 0;
  let start = 0;
  while (start < end) {
    const stop = text.indexOf('\n', start);
    lineNo++;
    const line = text.slice(start, stop);
    start = stop + 1;
    if (line.length === 0) continue;
    try {
      records.push(JSON.parse(line) as T);
    } catch {
      throw new CorruptFileError(file, lineNo);
    }
  }
  return records;
}

interface PendingWrite {
  bytes: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Append-only JSON-lines file with group commit: every append made while a write is in progress joins
 * the next write, and all of them share one fdatasync. An append resolves only once its bytes are on disk.
 */
export class JsonlAppender {
  #handle: FileHandle;
  #size: number;
  #pending: PendingWrite[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;
  readonly file: string;

  private constructor(file: string, handle: FileHandle, size: number) {
    this.file = file;
    this.#handle = handle;
    this.#size = size;
  }

  static async open(file: string): Promise<JsonlAppender> {
    const handle = await open(file, 'a');
    const { size } = await handle.stat();
    return new JsonlAppender(file, handle, size);
  }

  get size(): number {
    return this.#size;
  }

  append(lines: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${this.file} is closed`));
    return new Promise((resolve, reject) => {
      this.#pending.push({ bytes: Buffer.from(lines), resolve, reject });
      this.#flushing ??= this.#flushAll();
    });
  }

  async #flushAll(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        const bytes = Buffer.concat(batch.map((w) => w.bytes));
        try {
          await this.#writeFully(bytes);
          await this.#handle.datasync();
          this.#size += bytes.length;
          for (const w of batch) w.resolve();
        } catch (error) {
          // Cut back to the last acknowledged byte so no partial line is left behind a failed write.
          await this.#handle.truncate(this.#size).catch(() => {});
          for (const w of batch) w.reject(error as Error);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }

  async #writeFully(bytes: Buffer): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
  }

  /** Waits for queued writes, then closes. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#flushing) await this.#flushing;
    await this.#handle.close();
  }
}
