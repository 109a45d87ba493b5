import { constants } from 'node:fs';
import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { PRIVATE_FILE_MODE } from './data-dir-modes.ts';

/** A line that is complete (ends in a newline) but is not JSON: the file was damaged, not torn. */
export class CorruptFileError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, detail?: string) {
    super(
      `${file}:${line}: not valid JSON${detail ? ` (${detail})` : ''}. The file is damaged; hookrelay will not ` +
        'overwrite it. Restore it from a backup or move it away, then start again.',
    );
    this.name = 'CorruptFileError';
    this.file = file;
    this.line = line;
  }
}

/** Lines parsed between yields, so loading a large store never blocks the event loop for long. */
const LINES_PER_SLICE = 500;

/**
 * Calls `visit` with every complete JSON line, parsed, and its byte offset and length in the file. A torn last line (no trailing
 * newline: a write cut off by a crash, so never acknowledged) is cut from the file, but only once every
 * complete line was accepted: a damaged complete line (not JSON, or refused by `visit`) stops everything
 * and leaves the file exactly as it was. Returns the number of lines visited.
 */
export async function forEachJsonLine(
  file: string,
  visit: (parsed: unknown, offset: number, length: number) => void,
): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  let lineNo = 0;
  let visited = 0;
  for (let start = 0; start < end; ) {
    const stop = bytes.indexOf(0x0a, start);
    lineNo++;
    if (stop > start) {
      try {
        visit(JSON.parse(bytes.toString('utf8', start, stop)), start, stop - start);
      } catch (error) {
        throw new CorruptFileError(file, lineNo, (error as Error).message);
      }
      if (++visited % LINES_PER_SLICE === 0) await yieldToEventLoop();
    }
    start = stop + 1;
  }
  if (end < bytes.length) await truncate(file, end);
  return visited;
}

/** Every complete JSON line, parsed (see forEachJsonLine). */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  const records: T[] = [];
  await forEachJsonLine(file, (parsed) => records.push(parsed as T));
  return records;
}

interface PendingWrite {
  text: string;
  resolve: (offset: number) => void;
  reject: (error: Error) => void;
}

/**
 * Append-only JSON-lines file with group commit: every append made while a write is in progress joins
 * the next write, and all of them share one durable write (O_DSYNC, or write + fdatasync). An append
 * resolves only once its bytes are on disk, and appends resolve in the order they were made.
 */
export class JsonlAppender {
  #handle: FileHandle;
  #size: number;
  #pending: PendingWrite[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;
  readonly #syncAfterWrite: boolean;
  readonly file: string;

  private constructor(file: string, handle: FileHandle, size: number, syncAfterWrite: boolean) {
    this.file = file;
    this.#handle = handle;
    this.#size = size;
    this.#syncAfterWrite = syncAfterWrite;
  }

  static async open(file: string): Promise<JsonlAppender> {
    // With O_DSYNC a write returns once its bytes are durable, as write + fdatasync would, in one trip
    // to the thread pool instead of two (measured: less CPU and latency per group). Where the platform
    // has no O_DSYNC, each group is followed by an fdatasync instead.
    const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = constants;
    const handle = await open(file, O_DSYNC ? O_WRONLY | O_APPEND | O_CREAT | O_DSYNC : 'a', PRIVATE_FILE_MODE);
    const { size } = await handle.stat();
    return new JsonlAppender(file, handle, size, !O_DSYNC);
  }

  /** Bytes acknowledged so far. */
  get size(): number {
    return this.#size;
  }

  /** `lines` must end in a newline. Resolves, once durable, with the byte offset they were written at. */
  append(lines: string): Promise<number> {
    if (this.#closed) return Promise.reject(new Error(`${this.file} is closed`));
    return new Promise((resolve, reject) => {
      this.#pending.push({ text: lines, resolve, reject });
      this.#flushing ??= this.#flushAll();
    });
  }

  async #flushAll(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        // One string join and one encode per group: no per-append buffers to copy again.
        const bytes = Buffer.from(batch.length === 1 ? batch[0].text : batch.map((w) => w.text).join(''));
        try {
          await this.#writeFully(bytes);
          if (this.#syncAfterWrite) await this.#handle.datasync();
          let offset = this.#size;
          this.#size += bytes.length;
          for (const w of batch) {
            w.resolve(offset);
            offset += batch.length === 1 ? bytes.length : Buffer.byteLength(w.text);
          }
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

/** Makes a rename or a new file in `dir` survive power loss, not only a process crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
