import { access, constants, mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreUnavailableError } from '../errors.ts';
import { PRIVATE_DIR_MODE } from './data-dir-modes.ts';
import { type StoredEvent, storedFrom } from './event-line.ts';
import { IndexedEventStore, type IndexedStoreOptions } from './indexed-event-store.ts';
import { forEachJsonLine, JsonlAppender, syncDir } from './jsonl.ts';
import { RejectionLog } from './rejection-log.ts';
import { LineBatcher, readLines } from './segment-reader.ts';
import { WriteHealth } from './write-health.ts';
import type { Rejection } from './types.ts';

interface NewSegment {
  appender: JsonlAppender;
  segment: Segment;
}

interface CurrentSegment extends NewSegment {
  count: number;
  /** The previous segment's last writes: acknowledgements here wait for them, to stay in id order. */
  before: Promise<void> | null;
}

interface Segment {
  file: string;
  /** Highest event id in the file ('' when empty): the whole file may go once retention passes it. */
  lastId: string;
}

export interface FileEventStoreOptions extends IndexedStoreOptions {
  dir: string;
  /** Events per segment file; retention deletes whole segments, so each write stays small. */
  segmentEvents?: number;
  /** Shared with the driver's tables: any failed write makes /readyz say not ready. */
  health?: WriteHealth;
}

/**
 * Events in time-ordered JSON-lines segments under `<data>/events/`: appends share one durable write
 * (group commit), only the newest segment is ever written, and retention unlinks whole old segments.
 * See docs/store.md for why this shape and not one lowdb JSON file.
 */
export class FileEventStore extends IndexedEventStore {
  readonly #dir: string;
  readonly #segmentEvents: number;
  #segments: Segment[] = [];
  #current: CurrentSegment | null = null;
  #rolling: Promise<void> | null = null;
  #prepared: Promise<NewSegment> | null = null;
  #dropping: Promise<void> | null = null;
  #rejectionLog: RejectionLog;
  #state: 'new' | 'open' | 'closed' = 'new';
  readonly #lineBatcher = new LineBatcher();
  readonly health: WriteHealth;

  constructor(options: FileEventStoreOptions) {
    super(options);
    this.#dir = options.dir;
    this.#segmentEvents = options.segmentEvents ?? 5000;
    this.health = options.health ?? new WriteHealth(options.dir);
    this.#rejectionLog = new RejectionLog(join(this.#dir, 'rejections.jsonl'), this.maxRejections);
  }

  get #eventsDir(): string {
    return join(this.#dir, 'events');
  }

  /** Loads every segment (a damaged line stops here, with the file and line named). Call once. */
  async open(): Promise<void> {
    if (this.#state !== 'new') return;
    await mkdir(this.#eventsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await syncDir(this.#dir); // the events directory itself, the first time it is made
    const names = (await readdir(this.#eventsDir)).filter((n) => n.endsWith('.jsonl')).sort();
    for (const name of names) {
      const file = join(this.#eventsDir, name);
      const segment: Segment = { file, lastId: '' };
      await forEachJsonLine(file, (parsed, offset, length) => {
        const stored = storedFrom(parsed, { file, offset, length });
        this.index.add(stored);
        if (stored.id > segment.lastId) segment.lastId = stored.id;
      });
      this.#segments.push(segment);
    }
    this.index.applyRetention();
    await this.#dropExpiredSegments();
    this.rejections = await this.#rejectionLog.open();
    this.#state = 'open';
  }

  protected persist(stored: StoredEvent & { line: string }): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(new StoreUnavailableError('The event store is not open.'));
    // Synchronous while the segment has room, so appends reach the file in the order their ids were made.
    const current = this.#current;
    if (current && current.count < this.#segmentEvents && !this.#rolling) return this.#write(current, stored);
    this.#rolling ??= this.#roll().finally(() => {
      this.#rolling = null;
    });
    return this.#rolling.then(
      () => {
        if (!this.#current) throw new StoreUnavailableError('The event store is closed.');
        return this.#write(this.#current, stored);
      },
      (error: unknown) => {
        this.health.failed();
        throw new StoreUnavailableError(undefined, error);
      },
    );
  }

  async #write(current: CurrentSegment, stored: StoredEvent & { line: string }): Promise<void> {
    // The next file is made ahead of time, so rolling over is a swap rather than a wait on the disk.
    if (++current.count === Math.max(1, Math.floor(this.#segmentEvents * 0.8))) this.#prepareNext();
    if (stored.id > current.segment.lastId) current.segment.lastId = stored.id;
    try {
      const offset = await current.appender.append(`${stored.line}\n`);
      if (current.before) await current.before;
      // From here on the line lives in the file only: memory per event stays small.
      stored.place = { file: current.segment.file, offset, length: Buffer.byteLength(stored.line) };
      (stored as StoredEvent).line = undefined;
      this.health.succeeded();
    } catch (error) {
      this.health.failed();
      throw new StoreUnavailableError(undefined, error);
    }
  }

  #prepareNext(): void {
    this.#prepared ??= this.#newSegment();
    this.#prepared.catch(() => {}); // a failure shows when the roll uses it
  }

  async #newSegment(): Promise<NewSegment> {
    const segment: Segment = { file: join(this.#eventsDir, `${this.newId('seg')}.jsonl`), lastId: '' };
    const appender = await JsonlAppender.open(segment.file);
    // The new file's directory entry must be durable too, or a power cut could lose the whole segment.
    await syncDir(this.#eventsDir);
    return { appender, segment };
  }

  /** Swaps in the next segment; the previous one finishes its queued writes in the background. */
  async #roll(): Promise<void> {
    const previous = this.#current;
    this.#current = null;
    const next = await (this.#prepared ?? this.#newSegment());
    this.#prepared = null;
    this.#segments.push(next.segment);
    const current: CurrentSegment = { ...next, count: 0, before: previous?.appender.close() ?? null };
    current.before
      ?.finally(() => {
        current.before = null;
      })
      .catch(() => {});
    this.#current = current;
  }

  protected override lines(entries: StoredEvent[]): Promise<Array<string | undefined>> {
    return readLines(entries);
  }

  protected override lineOf(entry: StoredEvent): Promise<string | undefined> {
    return this.#lineBatcher.read(entry);
  }

  protected override retain(): number {
    const dropped = super.retain();
    if (dropped > 0 && this.#state === 'open') {
      this.#dropping ??= this.#dropExpiredSegments()
        .catch(() => {})
        .finally(() => {
          this.#dropping = null;
        });
    }
    return dropped;
  }

  /** Unlinks segments whose every event retention has dropped (never the one being written). */
  async #dropExpiredSegments(): Promise<void> {
    for (;;) {
      const segment = this.#segments[0];
      const oldest = this.index.oldestId();
      if (!segment || segment === this.#current?.segment) return;
      if (oldest !== null && segment.lastId >= oldest) return;
      this.#segments.shift();
      await unlink(segment.file).catch(() => {});
    }
  }

  protected async persistRejection(rejection: Rejection): Promise<void> {
    if (this.#state !== 'open') return;
    await this.#rejectionLog.append(rejection, () => this.rejections);
  }

  async writable(): Promise<boolean> {
    if (this.#state !== 'open') return false;
    try {
      await access(this.#eventsDir, constants.W_OK);
    } catch {
      return false;
    }
    return this.health.writable();
  }

  /** Lets queued appends finish (they are acknowledged), then releases the files. Idempotent. */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    await this.#rolling?.catch(() => {});
    await this.#current?.appender.close();
    await this.#current?.before?.catch(() => {});
    const unused = await this.#prepared?.catch(() => null);
    if (unused) {
      await unused.appender.close();
      await unlink(unused.segment.file).catch(() => {});
    }
    await this.#dropping?.catch(() => {});
    await this.#rejectionLog.close();
    this.#current = null;
  }
}
