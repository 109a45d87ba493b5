import { rename, writeFile } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from './data-dir-modes.ts';
import { JsonlAppender, readJsonLines } from './jsonl.ts';
import type { Rejection } from './types.ts';

/**
 * The bounded log of refused ingest requests, as JSON lines. The file is rewritten with only the kept
 * tail once it holds twice the bound, so it never grows past 2 × `max` lines.
 */
export class RejectionLog {
  readonly #file: string;
  readonly #max: number;
  #appender: JsonlAppender | null = null;
  #lines = 0;
  #rewriting: Promise<void> | null = null;

  constructor(file: string, max: number) {
    this.#file = file;
    this.#max = max;
  }

  /** Loads the kept tail (newest last). */
  async open(): Promise<Rejection[]> {
    const all = await readJsonLines<Rejection>(this.#file);
    const kept = all.slice(-this.#max);
    if (all.length > this.#max) await this.#rewrite(kept);
    else {
      this.#lines = all.length;
      this.#appender = await JsonlAppender.open(this.#file);
    }
    return kept;
  }

  /** `kept` is what the caller holds in memory (the newest `max` rejections, this one included). */
  async append(rejection: Rejection, kept: () => Rejection[]): Promise<void> {
    while (this.#rewriting) await this.#rewriting;
    if (!this.#appender) return;
    this.#lines++;
    await this.#appender.append(`${JSON.stringify(rejection)}\n`);
    if (this.#lines > this.#max * 2 && !this.#rewriting) {
      this.#rewriting = this.#rewrite(kept()).finally(() => {
        this.#rewriting = null;
      });
      await this.#rewriting;
    }
  }

  /** Writes the kept tail to a temporary file and renames it over the log (atomic on POSIX). */
  async #rewrite(kept: Rejection[]): Promise<void> {
    await this.#appender?.close();
    this.#appender = null;
    const tmp = `${this.#file}.tmp`;
    await writeFile(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: PRIVATE_FILE_MODE });
    await rename(tmp, this.#file);
    this.#lines = kept.length;
    this.#appender = await JsonlAppender.open(this.#file);
  }

  async close(): Promise<void> {
    while (this.#rewriting) await this.#rewriting;
    await this.#appender?.close();
    this.#appender = null;
  }
}
