import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JsonlAppender, readJsonLines, syncDir } from './jsonl.ts';
import { MemoryTable } from './memory-table.ts';
import type { Row, Table } from './table.ts';

type LogLine<T> = { id: string; v: T } | { id: string; d: 1 };

/**
 * A table kept as a JSON-lines log of upserts and deletes, replayed on open. Each put appends one line
 * (group-committed with its neighbours); the log is compacted when it holds more than twice the live
 * rows, so the file stays proportional to what the table holds.
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

  private readonly file: string;

  constructor(name: string, file: string) {
    super(name);
    this.file = file;
  }

  override async open(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
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
    if (this.#needsCompaction()) await this.#compact();
  }

  override async close(): Promise<void> {
    await this.#compacting;
    await this.#appender?.close();
    this.#appender = null;
  }

  override async put(row: T): Promise<void> {
    await this.putMany([row]);
  }

  override async putMany(rows: readonly T[]): Promise<void> {
    if (rows.length === 0) return;
    const lines: string[] = [];
    for (const row of rows) {
      this.rows.set(row.id, row);
      const line = JSON.stringify({ id: row.id, v: row });
      this.#setChars(row.id, line.length + 1);
      lines.push(line);
    }
    await this.#write(lines.join('\n'), rows.length);
  }

  override async delete(id: string): Promise<boolean> {
    if (!this.rows.delete(id)) return false;
    this.#setChars(id, 0);
    await this.#write(JSON.stringify({ id, d: 1 }), 1);
    return true;
  }

  async #write(lines: string, count: number): Promise<void> {
    while (this.#compacting) await this.#compacting;
    if (!this.#appender) throw new Error(`table ${this.name} is closed`);
    this.#lines += count;
    this.#logChars += lines.length + 1;
    await this.#appender.append(`${lines}\n`);
    if (this.#needsCompaction()) {
      // A failed compaction (disk full, say) leaves the log as it was, still valid; the next write retries.
      this.#compacting ??= this.#compact()
        .catch(() => rm(`${this.file}.compact`, { force: true }))
        .finally(() => {
          this.#compacting = null;
        });
    }
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

  /** Rewrites the live rows to a temporary file, fsyncs it and renames it over the log. */
  async #compact(): Promise<void> {
    const tmp = `${this.file}.compact`;
    const handle = await open(tmp, 'w');
    try {
      let chunk: string[] = [];
      let chars = 0;
      for (const row of this.rows.values()) {
        const line = JSON.stringify({ id: row.id, v: row });
        chunk.push(line);
        chars += line.length;
        if (chunk.length === 500 || chars > 256 * 1024) {
          await handle.write(`${chunk.join('\n')}\n`);
          chunk = [];
          chars = 0;
        }
      }
      if (chunk.length) await handle.write(`${chunk.join('\n')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.#appender?.close();
    try {
      await rename(tmp, this.file);
      await syncDir(dirname(this.file));
      this.#lines = this.rows.size;
      this.#logChars = this.#liveChars;
    } finally {
      this.#appender = await JsonlAppender.open(this.file);
    }
  }
}
