import { mkdir, readdir, rename, unlink, writeFile, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexedEvent } from './event-index.ts';
import { IndexedEventStore, type IndexedStoreOptions } from './indexed-event-store.ts';
import { JsonlAppender, readJsonLines } from './jsonl.ts';
import { StoreUnavailableError } from '../errors.ts';
import type { Rejection } from './types.ts';

interface EventLine {
  e: IndexedEvent['event'];
  c: string;
  r: string;
}

interface Segment {
  file: string;
  lastId: string;
  count: number;
}

export interface FileEventStoreOptions extends IndexedStoreOptions {
  dir: string;
  /** Events per segment file; retention deletes whole segments, so each write stays small. */
  segmentEvents?: number;
}

/**
 * Events in time-ordered JSON-lines segments under `<data>/events/`: appends share one fdatasync
 * (group commit), only the newest segment is ever written, and retention unlinks whole old segments.
 * See docs/store.md for why this shape and not one lowdb JSON file.
 */
export class FileEventStore extends IndexedEventStore {
  readonly #dir: string;
  readonly #segmentEvents: number;
  #segments: Segment[] = [];
  #current: JsonlAppender | null = null;
  #currentCount = 0;
  #rejectionLog: JsonlAppender | null = null;
  #rejectionLines = 0;
  #closed = true;

  constructor(options: FileEventStoreOptions) {
    super(options);
    this.#dir = options.dir;
    this.#segmentEvents = options.segmentEvents ?? 5000;
  }

  get #eventsDir(): string {
    return join(this.#dir, 'events');
  }

  async open(): Promise<void> {
    await mkdir(this.#eventsDir, { recursive: true });
    const names = (await readdir(this.#eventsDir)).filter((n) => n.endsWith('.jsonl')).sort();
    for (const name of names) {
      const file = join(this.#eventsDir, name);
      const lines = await readJsonLines<EventLine>(file);
      for (const line of lines) {
        this.index.add({ event: line.e, body: { raw: Buffer.from(line.r, 'base64'), content_type: line.c } });
      }
      this.#segments.push({ file, lastId: lines.at(-1)?.e.id ?? '', count: lines.length });
    }
    this.index.applyRetention();
    await this.#dropExpiredSegments();
    const rejectionsFile = join(this.#dir, 'rejections.jsonl');
    this.rejections = (await readJsonLines<Rejection>(rejectionsFile)).slice(-this.maxRejections);
    await this.#rewriteRejections();
    this.#closed = false;
  }

  protected async persist(entry: IndexedEvent): Promise<void> {
    if (this.#closed) throw new StoreUnavailableError('The event store is closed.');
    const appender = await this.#writableSegment();
    const line: EventLine = { e: entry.event, c: entry.body.content_type, r: entry.body.raw.toString('base64') };
    const segment = this.#segments.at(-1) as Segment;
    segment.lastId = entry.event.id;
    segment.count++;
    this.#currentCount++;
    try {
      await appender.append(`${JSON.stringify(line)}\n`);
    } catch (error) {
      throw new StoreUnavailableError(undefined, error);
    }
  }

  #opening: Promise<JsonlAppender> | null = null;

  async #writableSegment(): Promise<JsonlAppender> {
    if (this.#current && this.#currentCount < this.#segmentEvents) return this.#current;
    this.#opening ??= this.#rollSegment().finally(() => {
      this.#opening = null;
    });
    return this.#opening;
  }

  async #rollSegment(): Promise<JsonlAppender> {
    const previous = this.#current;
    const name = `${this.newId('seg')}.jsonl`;
    const file = join(this.#eventsDir, name);
    const appender = await JsonlAppender.open(file);
    this.#segments.push({ file, lastId: '', count: 0 });
    this.#current = appender;
    this.#currentCount = 0;
    // The old segment finishes its queued writes in the background; close() waits for them.
    if (previous) void previous.close().then(() => this.#dropExpiredSegments());
    return appender;
  }

  async #dropExpiredSegments(): Promise<void> {
    const oldest = this.index.oldestId();
    while (this.#segments.length > 1) {
      const segment = this.#segments[0];
      if (oldest !== null && segment.lastId >= oldest) break;
      if (this.#current && segment === this.#segments.at(-1)) break;
      this.#segments.shift();
      await unlink(segment.file).catch(() => {});
    }
  }

  protected async persistRejection(rejection: Rejection): Promise<void> {
    if (!this.#rejectionLog) return;
    this.#rejectionLines++;
    await this.#rejectionLog.append(`${JSON.stringify(rejection)}\n`);
    if (this.#rejectionLines > this.maxRejections * 2) await this.#rewriteRejections();
  }

  /** Keeps the rejection log bounded: rewrite the kept tail atomically, then append again. */
  async #rewriteRejections(): Promise<void> {
    const file = join(this.#dir, 'rejections.jsonl');
    const old = this.#rejectionLog;
    this.#rejectionLog = null;
    await old?.close();
    const tmp = `${file}.tmp`;
    await writeFile(tmp, this.rejections.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await rename(tmp, file);
    this.#rejectionLines = this.rejections.length;
    this.#rejectionLog = await JsonlAppender.open(file);
  }

  async writable(): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await access(this.#eventsDir, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#opening?.catch(() => {});
    await this.#current?.close();
    await this.#rejectionLog?.close();
    this.#current = null;
    this.#rejectionLog = null;
  }
}
