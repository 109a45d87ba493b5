import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreUnavailableError } from '../errors.ts';
import { JsonlAppender, readJsonLines, syncDir } from './jsonl.ts';
import { MemoryTable } from './memory-table.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './data-dir-modes.ts';
import type { Row, Table } from './table.ts';
import type { WriteHealth } from './write-health.ts';

type LogLine<T> = { id: string; v: T } | { id: string; d: 1 };

/** While the tail left to copy is larger than this, it is copied without holding writers back... */
const TAIL_HOLD_CHARS = 64 * 1024;
/** ...for at most this many rounds: writes arriving as fast as the disk takes them cannot keep a
 * compaction (and its copy of every write) going for as long as they last. */
const TAIL_ROUNDS = 8;

/**
 * A table kept as a JSON-lines log of upserts and deletes, replayed on open. Each put appends one line
 * (group-committed with its neighbours); the log is compacted when it holds more than twice the live
 * rows, so the file stays proportional to what the table holds.
 *
 * Compaction does not stop writes: while the live rows are copied to a new file, writes still go to
 * the old log (that is what acknowledges them) and are kept as a tail. The tail is copied after the
 * rows, so a row that changed during the copy ends at its last value; writers wait only for the
 * last few lines of the tail and the rename.
 */
export class LogTable<T extends Row> extends MemoryTable<T> implements Table<T> {
  #appender: JsonlAppender | null = null;
  #lines = 0;
  /** Characters in the log and in the live rows' lines: with rows of very different sizes (a stream
   * merged into one row, its small chunks deleted) line counts alone would rewrite large tables far
   * too often. */
  #logChars = 0;
  #liveChars = 0;
  #rowChars = new Map<string, number>();
  #compacting: Promise<void> | null = null;
  /** Lines written since the running compaction began (null when none runs). */
  #tail: string[] | null = null;
  #tailLines = 0;
  #tailChars = 0;
  /** Set while a compaction swaps files: writes wait for it. */
  #swapping: Promise<void> | null = null;
  /** A write failed while the running compaction copied rows from memory: its copy may hold that row. */
  #failedWhileCompacting = false;
  readonly #inFlight = new InFlightWrites<T>();

  private readonly file: string;
  readonly #health: WriteHealth | undefined;

  constructor(name: string, file: string, health?: WriteHealth) {
    super(name);
    this.file = file;
    this.#health = health;
  }

  override async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const lines = await readJsonLines<LogLine<T>>(this.file);
    for (const line of lines) {
      if ('d' in line) this.rows.delete(line.id);
      else this.rows.set(line.id, line.v);
    }
    this.#lines = lines.length;
    this.#rowChars.clear();
    this.#liveChars = 0;
    for (const row of this.rows.values()) this.#setChars(row.id, JSON.stringify({ id: row.id, v: row }).length + 1);
    // Unknown without re-reading the bytes; at least the live rows plus a short line per superseded one.
    this.#logChars = this.#liveChars + (lines.length - this.rows.size) * 32;
    this.#appender = await JsonlAppender.open(this.file);
    await syncDir(dirname(this.file)); // a new log's directory entry, so acknowledged rows survive power loss
    if (this.#needsCompaction()) await this.#startCompaction();
  }

  override async close(): Promise<void> {
    while (this.#compacting) await this.#compacting;
    await this.#appender?.close();
    this.#appender = null;
  }

  /** True while a compaction rewrites the log (writes go on meanwhile). */
  get compacting(): boolean {
    return this.#compacting !== null;
  }

  override async put(row: T): Promise<void> {
    await this.putMany([row]);
  }

  override async putMany(rows: readonly T[]): Promise<void> {
    if (rows.length === 0) return;
    const lines: string[] = [];
    const writes: InFlight<T>[] = [];
    for (const row of rows) {
      writes.push(this.#inFlight.begin(row.id, this.rows.get(row.id)));
      this.rows.set(row.id, row);
      const line = JSON.stringify({ id: row.id, v: row });
      this.#setChars(row.id, line.length + 1);
      lines.push(line);
    }
    await this.#writeOrUndo(lines.join('\n'), writes, rows);
  }

  override async delete(id: string): Promise<boolean> {
    const before = this.rows.get(id);
    if (before === undefined) return false;
    const write = this.#inFlight.begin(id, before);
    this.rows.delete(id);
    this.#setChars(id, 0);
    await this.#writeOrUndo(JSON.stringify({ id, d: 1 }), [write], [undefined]);
    return true;
  }

  /**
   * Rows change in memory as the line is queued (a compaction copies memory, and must see them); a
   * write that fails puts back what was durable before it, unless a later write to the row is still
   * in flight (that write's outcome decides), so a failed write leaves no trace (issue 14).
   */
  async #writeOrUndo(lines: string, writes: InFlight<T>[], values: readonly (T | undefined)[]): Promise<void> {
    try {
      await this.#write(lines, writes.length);
    } catch (error) {
      this.#health?.failed();
      if (this.#compacting) this.#failedWhileCompacting = true;
      for (const write of writes) {
        const durable = this.#inFlight.failed(write);
        if (durable === NOT_LATEST) continue;
        if (durable === undefined) {
          this.rows.delete(write.id);
          this.#setChars(write.id, 0);
        } else {
          this.rows.set(write.id, durable);
          this.#setChars(write.id, JSON.stringify({ id: write.id, v: durable }).length + 1);
        }
      }
      throw new StoreUnavailableError(`The ${this.name} table could not be written.`, error);
    }
    this.#health?.succeeded();
    for (const [i, write] of writes.entries()) this.#inFlight.succeeded(write, values[i]);
  }

  async #write(lines: string, count: number): Promise<void> {
    if (this.#swapping) {
      // The compaction is swapping files: this line goes to the new log once it is in place.
      while (this.#swapping) await this.#swapping;
    } else if (this.#tail) {
      // Taken in call order, in the same step as the append below, so the tail keeps the log's order.
      this.#tail.push(lines);
      this.#tailLines += count;
      this.#tailChars += lines.length + 1;
    }
    if (!this.#appender) throw new Error(`table ${this.name} is closed`);
    this.#lines += count;
    this.#logChars += lines.length + 1;
    await this.#appender.append(`${lines}\n`);
    if (!this.#compacting && this.#needsCompaction()) void this.#startCompaction();
  }

  #setChars(id: string, chars: number): void {
    this.#liveChars += chars - (this.#rowChars.get(id) ?? 0);
    if (chars === 0) this.#rowChars.delete(id);
    else this.#rowChars.set(id, chars);
  }

  /** More than twice as many lines as rows (and over 1,000), and more than twice the live rows' size. */
  #needsCompaction(): boolean {
    return this.#lines > 1000 && this.#lines > this.rows.size * 2 && this.#logChars > this.#liveChars * 2;
  }

  #startCompaction(): Promise<void> {
    this.#compacting ??= this.#compact()
      // A failed compaction (disk full, say) leaves the log as it was, still valid; a later write retries.
      .catch(() => rm(`${this.file}.compact`, { force: true }))
      .finally(() => {
        this.#compacting = null;
        this.#tail = null;
      });
    return this.#compacting;
  }

  /**
   * Copies the live rows to a temporary file while writes go on, then the lines written meanwhile;
   * holds writers back only for the last of those lines, the fsync and the rename.
   */
  async #compact(): Promise<void> {
    const tmp = `${this.file}.compact`;
    this.#tail = [];
    this.#tailLines = 0;
    this.#tailChars = 0;
    this.#failedWhileCompacting = false;
    const copy = await SnapshotFile.create(tmp);
    let release = () => {};
    let oldLogClosed = false;
    try {
      // A row that changes after it is copied has its new line in the tail, which is copied after it.
      await copy.rows(this.rows.values());
      for (let round = 0; round < TAIL_ROUNDS && this.#tailChars > TAIL_HOLD_CHARS; round++) await this.#copyTail(copy);
      this.#swapping = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Lines still queued on the old log are in the tail as well; they are durable there first.
      oldLogClosed = true;
      await this.#appender?.close();
      await this.#copyTail(copy);
      await copy.finish();
      // The old log (cut back after the failure) is right; the copy may not be: keep the old one.
      if (this.#failedWhileCompacting) throw new Error(`a write to ${this.name} failed during compaction`);
      await rename(tmp, this.file);
      this.#lines = copy.lines;
      this.#logChars = copy.chars;
      await syncDir(dirname(this.file));
    } finally {
      await copy.close();
      try {
        if (oldLogClosed) this.#appender = await JsonlAppender.open(this.file);
      } finally {
        this.#swapping = null;
        release();
      }
    }
  }

  async #copyTail(copy: SnapshotFile): Promise<void> {
    const tail = this.#tail ?? [];
    const lines = this.#tailLines;
    this.#tail = [];
    this.#tailLines = 0;
    this.#tailChars = 0;
    if (tail.length > 0) await copy.text(`${tail.join('\n')}\n`, lines);
  }
}

/** The new log a compaction writes: rows as lines in chunks, counted for the table's size figures. */
class SnapshotFile {
  lines = 0;
  chars = 0;
  #handle: FileHandle;
  #closed = false;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  static async create(file: string): Promise<SnapshotFile> {
    // Each chunk is durable as it is written (O_DSYNC), so the disk gets an even stream rather than
    // megabytes at the final fsync, which would stall the group commits of every other file.
    const { O_WRONLY, O_CREAT, O_TRUNC, O_DSYNC } = constants;
    return new SnapshotFile(await open(file, O_DSYNC ? O_WRONLY | O_CREAT | O_TRUNC | O_DSYNC : 'w', PRIVATE_FILE_MODE));
  }

  async rows(rows: Iterable<Row>): Promise<void> {
    let chunk: string[] = [];
    let chars = 0;
    for (const row of rows) {
      const line = JSON.stringify({ id: row.id, v: row });
      chunk.push(line);
      chars += line.length;
      if (chunk.length === 500 || chars > 256 * 1024) {
        await this.text(`${chunk.join('\n')}\n`, chunk.length);
        chunk = [];
        chars = 0;
      }
    }
    if (chunk.length) await this.text(`${chunk.join('\n')}\n`, chunk.length);
  }

  async text(text: string, lines: number): Promise<void> {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += (await this.#handle.write(bytes, at)).bytesWritten;
    this.lines += lines;
    this.chars += text.length;
  }

  finish(): Promise<void> {
    return this.#handle.sync();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close().catch(() => {}); // synced before the rename, or not used
  }
}

const NOT_LATEST = Symbol('not the latest write');

interface InFlight<T> {
  id: string;
  entry: { count: number; durable: T | undefined; latest: InFlight<T> | null };
}

/** Per row with writes not yet durable: its last durable value and which write is the latest. */
class InFlightWrites<T> {
  readonly #rows = new Map<string, InFlight<T>['entry']>();

  begin(id: string, current: T | undefined): InFlight<T> {
    let entry = this.#rows.get(id);
    if (!entry) {
      entry = { count: 0, durable: current, latest: null };
      this.#rows.set(id, entry);
    }
    entry.count++;
    const write: InFlight<T> = { id, entry };
    entry.latest = write;
    return write;
  }

  succeeded(write: InFlight<T>, value: T | undefined): void {
    write.entry.durable = value;
    this.#end(write);
  }

  /** The value to restore, or NOT_LATEST when a later write to the row is still in flight. */
  failed(write: InFlight<T>): T | undefined | typeof NOT_LATEST {
    const restore = write.entry.latest === write ? write.entry.durable : NOT_LATEST;
    this.#end(write);
    return restore;
  }

  #end(write: InFlight<T>): void {
    if (--write.entry.count === 0) this.#rows.delete(write.id);
  }
}
